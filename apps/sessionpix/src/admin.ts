import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '@sessionpix/config';
import { announceApiKeyRevocationTo, API_KEY_ROLES, type ApiKeyRole, issueApiKey } from '@sessionpix/gateway';
import { EmailOperations } from '@sessionpix/notifications';
import { ApiKey, emForOrg, emForSystem, EquipmentCatalogEntry, openOrm, Organization, recordAudit, type MikroORM } from '@sessionpix/db';
import { CatalogEntrySchema } from '@sessionpix/vision';

const USAGE = `usage: npm run admin -- <command> [options]

  org:create --name <name>            create an organization and its first API key (role admin)
  org:list                            list organizations
  apikey:create --org <id> [--label <text>] [--role viewer|member|admin]
                                      issue another API key (shown once; role member by default)
  apikey:list --org <id>              list an org's keys (key id, label, role, last use)
  apikey:revoke --key-id <keyId>      revoke a key at once
  catalog:add --file <entry.json>     add equipment to the catalog (one entry or an array); an entry
                                      with an existing slug replaces it
  catalog:list                        list the equipment catalog
  email:in-doubt [--limit <n>]        e-mails that may or may not have been sent (a crash mid-send); never resent
  email:resolve --id <outboxId> --outcome sent|not-sent
                                      settle an in-doubt e-mail once you know (SES sending records):
                                      sent records it; not-sent sends it
  policy:announce --effective-date <YYYY-MM-DD> [--summary <text>] [--policy-url <url>]
                                      P22: e-mail every active user the privacy policy's new effective
                                      date (a batch job; once per effective date)
  broadcast:status [--id <broadcastId>]
                                      a broadcast's progress (the latest without --id)
  broadcast:pause --id <broadcastId>  stop sending it (e-mails already at SES are not recalled)
  broadcast:resume --id <broadcastId> go on where it stopped

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
      // Gateways that cached the key read it again on its next use.
      const config = loadConfig(process.env, { services: [] });
      const gatewaysTold = await announceApiKeyRevocationTo(config.REDIS_URL, config.QUEUE_PREFIX).then(
        () => true,
        () => false,
      );
      return {
        keyId,
        revokedAt: key.revokedAt,
        ...(gatewaysTold ? {} : { warning: 'Redis was unreachable: gateways that cached this key accept it for up to 30 s more' }),
      };
    }
    case 'catalog:add':
      return addCatalogEntries(orm, required(args, 'file'));
    case 'catalog:list': {
      const entries = await emForSystem(orm).find(EquipmentCatalogEntry, {}, { orderBy: { slug: 'asc' } });
      return {
        entries: entries.map((e) => {
          const layout = e.layout as { approximate?: boolean; controls?: unknown[] } | null | undefined;
          return {
            slug: e.slug,
            brand: e.brand,
            model: e.model,
            category: e.category,
            aliases: e.aliases,
            controls: layout?.controls?.length ?? 0,
            approximate: layout?.approximate ?? null,
            source: e.source,
          };
        }),
      };
    }
    case 'email:in-doubt':
    case 'email:resolve':
    case 'policy:announce':
    case 'broadcast:status':
    case 'broadcast:pause':
    case 'broadcast:resume':
      return emailCommand(orm, command, args);
    default:
      throw new UsageError(command ? `unknown command ${command}` : 'name a command');
  }
}

/**
 * Operators' catalog entries (source `operator`): validated against the catalog schema, then
 * inserted, or written over the entry with the same slug (a shipped one included, which the
 * seed then leaves alone).
 */
async function addCatalogEntries(orm: MikroORM, file: string): Promise<unknown> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--file ${file}: ${(err as Error).message}`);
  }
  const list = Array.isArray(json) ? json : [json];
  const entries = list.map((raw, i) => {
    const parsed = CatalogEntrySchema.safeParse(raw);
    if (!parsed.success) {
      const where = list.length > 1 ? `entry ${i + 1}: ` : '';
      throw new UsageError(`--file ${file}: ${where}${parsed.error.issues.map((x) => `${x.path.join('.') || '(entry)'}: ${x.message}`).join('; ')}`);
    }
    return parsed.data;
  });
  const em = emForSystem(orm);
  const written: { slug: string; action: 'created' | 'replaced' }[] = [];
  await em.transactional(async (tx) => {
    for (const entry of entries) {
      const existing = await tx.findOne(EquipmentCatalogEntry, { slug: entry.slug });
      const values = { ...entry, layout: entry.layout as Record<string, unknown> | null, source: 'operator' as const };
      if (existing) tx.assign(existing, values);
      else tx.create(EquipmentCatalogEntry, values);
      written.push({ slug: entry.slug, action: existing ? 'replaced' : 'created' });
    }
  });
  return { written };
}

/** E-mail operations (notifications): in-doubt e-mails and broadcasts (P22). */
async function emailCommand(orm: MikroORM, command: string, args: Args): Promise<unknown> {
  const ops = new EmailOperations(orm, loadConfig(process.env, { services: [] }));
  try {
    switch (command) {
      case 'email:in-doubt': {
        const limit = args.limit === undefined ? 100 : Number(args.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError('--limit must be 1–10000');
        const emails = await ops.inDoubt(limit);
        return { count: emails.length, emails };
      }
      case 'email:resolve': {
        const outcome = required(args, 'outcome');
        if (outcome !== 'sent' && outcome !== 'not-sent') throw new UsageError('--outcome must be sent or not-sent');
        return await ops.resolve(uuidArg(args, 'id'), outcome).catch((err: Error) => {
          throw new UsageError(err.message);
        });
      }
      case 'policy:announce': {
        const effectiveDate = required(args, 'effective-date');
        if (!/^\d{4}-\d{2}-\d{2}$/.test(effectiveDate) || Number.isNaN(Date.parse(`${effectiveDate}T00:00:00Z`))) {
          throw new UsageError('--effective-date must be a date, YYYY-MM-DD');
        }
        const summary = args.summary?.trim();
        if (summary !== undefined && (summary.length === 0 || summary.length > 2000)) throw new UsageError('--summary is 1–2000 characters');
        const config = loadConfig(process.env, { services: [] });
        const policyUrl = args['policy-url'] ?? new URL('privacy', config.WEB_APP_URL.endsWith('/') ? config.WEB_APP_URL : `${config.WEB_APP_URL}/`).toString();
        if (!/^https?:\/\//.test(policyUrl)) throw new UsageError('--policy-url must be an http(s) URL');
        return await ops.announcePolicy({ effectiveDate, summary, policyUrl });
      }
      case 'broadcast:status': {
        const progress = await ops.progress(args.id === undefined ? undefined : uuidArg(args, 'id'));
        if (!progress) throw new UsageError(args.id ? `no broadcast ${args.id}` : 'there is no broadcast yet');
        return progress;
      }
      case 'broadcast:pause':
        return await ops.pause(uuidArg(args, 'id')).catch((err: Error) => {
          throw new UsageError(err.message);
        });
      default:
        return await ops.resume(uuidArg(args, 'id')).catch((err: Error) => {
          throw new UsageError(err.message);
        });
    }
  } finally {
    await ops.close();
  }
}

function uuidArg(args: Args, name: string): string {
  const id = required(args, name);
  if (!UUID.test(id)) throw new UsageError(`--${name} must be an id (a UUID)`);
  return id;
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
        file: { type: 'string' },
        id: { type: 'string' },
        limit: { type: 'string' },
        outcome: { type: 'string' },
        'effective-date': { type: 'string' },
        summary: { type: 'string' },
        'policy-url': { type: 'string' },
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
