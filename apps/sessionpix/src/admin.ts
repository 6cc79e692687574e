import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '@sessionpix/config';
import { API_KEY_ROLES, type ApiKeyRole, issueApiKey } from '@sessionpix/gateway';
import { ApiKey, emForOrg, emForSystem, openOrm, Organization, recordAudit, type MikroORM } from '@sessionpix/db';

const USAGE = `usage: npm run admin -- <command> [options]

  org:create --name <name>            create an organization and its first API key (role admin)
  org:list                            list organizations
  apikey:create --org <id> [--label <text>] [--role viewer|member|admin]
                                      issue another API key (shown once; role member by default)
  apikey:list --org <id>              list an org's keys (key id, label, role, last use)
  apikey:revoke --key-id <keyId>      revoke a key at once

The last line of every command's output is one JSON object.`;

class UsageError extends Error {}

type Args = Record<string, string | undefined>;

function required(args: Args, name: string): string {
  const value = args[name]?.trim();
  if (!value) throw new UsageError(`--${name} is required`);
  return value;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function orgId(args: Args): string {
  const id = required(args, 'org');
  if (!UUID.test(id)) throw new UsageError('--org must be an organization id (a UUID)');
  return id;
}

function keyRole(args: Args): ApiKeyRole {
  const role = args.role?.trim() ?? 'member';
  if (!(API_KEY_ROLES as readonly string[]).includes(role)) throw new UsageError(`--role must be one of ${API_KEY_ROLES.join(', ')}`);
  return role as ApiKeyRole;
}

/** P21: keys made or revoked here are audited like those made through the API. */
function operatorAudit(
  em: Parameters<typeof recordAudit>[0],
  orgId: string,
  action: 'api_key.created' | 'api_key.revoked',
  keyId: string,
  role: ApiKeyRole,
): void {
  recordAudit(em, { orgId, actorType: 'operator', action, targetType: 'api_key', targetId: keyId, details: { role, via: 'admin CLI' } });
}

async function run(orm: MikroORM, pepper: string, command: string, args: Args): Promise<unknown> {
  switch (command) {
    case 'org:create': {
      const name = required(args, 'name');
      if (name.length > 200) throw new UsageError('--name is at most 200 characters');
      const em = emForSystem(orm);
      return em.transactional(async (tx) => {
        const org = tx.create(Organization, { name });
        await tx.flush();
        // The bootstrap key may manage the org's other keys and invite its first members.
        const key = issueApiKey(tx, org.id, 'created with the admin CLI', pepper, 'admin');
        operatorAudit(tx, org.id, 'api_key.created', key.keyId, 'admin');
        return { orgId: org.id, apiKey: key.apiKey };
      });
    }
    case 'org:list': {
      const orgs = await emForSystem(orm).find(Organization, {}, { orderBy: { id: 'asc' } });
      return { organizations: orgs.map((o) => ({ id: o.id, name: o.name, createdAt: o.createdAt })) };
    }
    case 'apikey:create': {
      const id = orgId(args);
      const em = emForOrg(orm, id);
      if (!(await em.findOne(Organization, { id }))) throw new UsageError(`no organization ${id}`);
      const role = keyRole(args);
      const key = issueApiKey(em, id, args.label ?? 'created with the admin CLI', pepper, role);
      operatorAudit(em, id, 'api_key.created', key.keyId, role);
      await em.flush();
      return { orgId: id, keyId: key.keyId, role, apiKey: key.apiKey };
    }
    case 'apikey:list': {
      const id = orgId(args);
      const keys = await emForOrg(orm, id).find(ApiKey, {}, { orderBy: { id: 'asc' } });
      return {
        keys: keys.map((k) => ({
          keyId: k.keyId,
          label: k.label,
          role: k.role,
          lastUsedAt: k.lastUsedAt,
          revokedAt: k.revokedAt,
        })),
      };
    }
    case 'apikey:revoke': {
      const keyId = required(args, 'key-id');
      const em = emForSystem(orm);
      const key = await em.findOne(ApiKey, { keyId }, { filters: { tenant: false } });
      if (!key) throw new UsageError(`no API key ${keyId}`);
      if (!key.revokedAt) {
        key.revokedAt = new Date();
        operatorAudit(em, key.org.id, 'api_key.revoked', key.keyId, key.role);
      }
      await em.flush();
      return { keyId, revokedAt: key.revokedAt };
    }
    default:
      throw new UsageError(command ? `unknown command ${command}` : 'name a command');
  }
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  if (!command || command === 'help' || command === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  let args: Args;
  try {
    args = parseArgs({
      args: rest,
      options: {
        name: { type: 'string' },
        org: { type: 'string' },
        label: { type: 'string' },
        'key-id': { type: 'string' },
        role: { type: 'string' },
      },
      strict: true,
    }).values as Args;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const config = loadConfig(process.env, { services: [] });
  const orm = await openOrm({ databaseUrl: config.DATABASE_URL, poolMax: 2 });
  try {
    const result = await run(orm, config.apiKeyPepper, command, args);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  } finally {
    await orm.close(true);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof ConfigError ? err.message : `admin failed: ${String(err)}`}\n`);
    process.exit(1);
  },
);
