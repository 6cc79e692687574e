import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Client } from 'pg';
import { AWS_SDK_VARIABLES, configVariableNames, loadConfig } from '@sessionpix/config';
import { startS3Standin, uniquePrefix, type S3Standin } from '@sessionpix/testing';
import { PROMPT_VERSION } from '../../../libs/vision/src/passes';

/*
 * The image cannot be built here (no container engine). What is checked instead: the
 * Dockerfile's shape, that `deploy/collect-runtime.sh` (the step the Dockerfile runs after
 * `npm run build`) finds every file the image needs in the build output, that .dockerignore
 * keeps the context small without dropping a source, and that the entry point runs the
 * migrator, the admin CLI and a service from the built tree and hands SIGTERM to Node.
 */

const ROOT = join(__dirname, '..', '..', '..');
const ENTRY = join(ROOT, 'deploy', 'docker-entrypoint.sh');
const SERVER_URL = process.env.TEST_DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const dockerfile = readFileSync(join(ROOT, 'deploy', 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');

function stages(): { name: string; from: string; lines: string[] }[] {
  const out: { name: string; from: string; lines: string[] }[] = [];
  for (const line of dockerfile.split('\n').map((l) => l.trim())) {
    if (!line || line.startsWith('#')) continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.push({ name: from[2] ?? '', from: from[1], lines: [] });
    else out[out.length - 1]?.lines.push(line);
  }
  return out;
}

function runEntry(args: string[], env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('sh', [ENTRY, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Only what a container would have: no developer AWS keys or endpoints leaking in. */
function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
}

/** Docker's .dockerignore matching: anchored at the context root, `**` spans directories. */
function dockerignore(): (path: string) => boolean {
  const rules = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((raw) => {
      const negate = raw.startsWith('!');
      const pattern = raw.replace(/^!/, '').replace(/^\/+/, '').replace(/\/+$/, '');
      const source = pattern
        .split('/')
        .map((part) =>
          part === '**'
            ? '(?:.*)'
            : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]'),
        )
        .join('/')
        .replace(/\(\?:\.\*\)\//g, '(?:.*/)?');
      return { negate, re: new RegExp(`^${source}(?:/.*)?$`) };
    });
  return (path) => rules.reduce((excluded, rule) => (rule.re.test(path) ? !rule.negate : excluded), false);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === '.git') return [];
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('the container image', () => {
  describe('deploy/Dockerfile', () => {
    const all = stages();
    const runtime = all[all.length - 1];

    it('builds every stage on Node 20 slim', () => {
      const base = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
      expect(base).toMatch(/^node:20(?:\.[\d.]+)?-[a-z]+-slim$/);
      const onNode = new Set<string>();
      for (const stage of all) {
        expect(stage.from === '${NODE_IMAGE}' || onNode.has(stage.from), `${stage.name} FROM ${stage.from}`).toBe(true);
        onNode.add(stage.name);
      }
    });

    it('installs production dependencies only for the runtime, with every workspace', () => {
      const deps = all.find((s) => s.name === 'prod-deps');
      expect(deps?.lines).toContain('RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev');
      expect(runtime.lines).toContain('COPY --from=prod-deps /app/ ./');
      const manifests = all.find((s) => s.name === 'manifests')?.lines.join('\n') ?? '';
      const workspaces = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;
      for (const glob of workspaces) expect(manifests, glob).toContain(glob.replace(/\/\*$/, '/*'));
    });

    it('copies into the runtime only what collect-runtime.sh gathered after npm run build', () => {
      const build = all.find((s) => s.name === 'build')?.lines ?? [];
      expect(build).toContain('RUN npm run build && sh deploy/collect-runtime.sh /app /runtime');
      expect(runtime.lines).toContain('COPY --from=build /runtime/ ./');
      const copies = runtime.lines.filter((l) => /^COPY\b/.test(l));
      expect(copies.every((l) => /--from=/.test(l))).toBe(true);
    });

    it('runs as a non-root user, with tini handing signals to the entry point', () => {
      const user = runtime.lines.find((l) => l.startsWith('USER '));
      expect(user).toMatch(/^USER [1-9]\d*:[1-9]\d*$/);
      expect(runtime.lines).toContain('ENTRYPOINT ["/usr/bin/tini", "--", "sessionpix"]');
      expect(runtime.lines.join('\n')).toContain('ln -s /app/deploy/docker-entrypoint.sh /usr/local/bin/sessionpix');
      expect(runtime.lines.join('\n')).toMatch(/apt-get install -y --no-install-recommends tini/);
    });

    it('sets only contract variables, and exposes the default ports', () => {
      // glibc's and Node's tuning for the image's processes; no sessionpix code reads these.
      const tuning = ['MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_', 'NODE_OPTIONS'];
      const contract = new Set<string>([...configVariableNames(), ...AWS_SDK_VARIABLES, ...tuning]);
      const names = runtime.lines.filter((l) => l.startsWith('ENV ')).flatMap((l) => [...l.matchAll(/\s([A-Za-z_][A-Za-z0-9_]*)=/g)].map((m) => m[1]));
      expect(names.length).toBeGreaterThan(0);
      expect(names.filter((n) => !contract.has(n))).toEqual([]);
      const config = loadConfig({}, { services: [] });
      expect(runtime.lines).toContain(`EXPOSE ${config.PORT} ${config.OPS_PORT}`);
    });
  });

  describe('what the image copies from the build', () => {
    let out: string;

    beforeAll(() => {
      out = mkdtempSync(join(tmpdir(), 'sessionpix-runtime-'));
      const result = spawnSync('sh', [join(ROOT, 'deploy', 'collect-runtime.sh'), ROOT, out], { encoding: 'utf8' });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    });

    afterAll(() => rmSync(out, { recursive: true, force: true }));

    it('has the four entry points the entry script runs', () => {
      const script = readFileSync(ENTRY, 'utf8');
      const targets = [...script.matchAll(/exec node (apps\/sessionpix\/dist\/[\w-]+\.js)/g)].map((m) => m[1]);
      expect([...new Set(targets)].sort()).toEqual([
        'apps/sessionpix/dist/admin.js',
        'apps/sessionpix/dist/billing-cli.js',
        'apps/sessionpix/dist/main.js',
        'apps/sessionpix/dist/migrate.js',
      ]);
      for (const target of targets) expect(existsSync(join(out, target)), target).toBe(true);
      expect(statSync(join(out, 'deploy', 'docker-entrypoint.sh')).mode & 0o111).not.toBe(0);
    });

    it('has the ingest image worker where the ingest service starts it', () => {
      expect(existsSync(join(out, 'services/ingest/dist/image/processor.worker.js'))).toBe(true);
      expect(existsSync(join(out, 'services/ingest/dist/image-pool.provider.js'))).toBe(true);
    });

    it('has the vision prompts where libs/vision reads them at run time (../src/prompts from dist)', () => {
      for (const version of Object.values(PROMPT_VERSION)) {
        const file = join(out, 'libs/vision/dist', '..', 'src', 'prompts', `${version}.md`);
        expect(existsSync(file), version).toBe(true);
        expect(readFileSync(file, 'utf8')).toBe(readFileSync(join(ROOT, 'libs/vision/src/prompts', `${version}.md`), 'utf8'));
      }
    });

    it('has the e-mail templates where the notifications service reads them at run time (../src/templates from dist)', () => {
      const dir = join(ROOT, 'services/notifications/src/templates');
      const files = readdirSync(dir);
      expect(files.length).toBeGreaterThan(2);
      for (const name of files) {
        const file = join(out, 'services/notifications/dist', '..', 'src', 'templates', name);
        expect(existsSync(file), name).toBe(true);
        expect(readFileSync(file, 'utf8')).toBe(readFileSync(join(dir, name), 'utf8'));
      }
    });

    it("has every workspace's manifest and compiled code, and no sources, tests or declarations", () => {
      for (const group of ['libs', 'services', 'apps']) {
        for (const name of readdirSync(join(ROOT, group))) {
          if (!existsSync(join(ROOT, group, name, 'package.json'))) continue;
          expect(existsSync(join(out, group, name, 'package.json')), `${group}/${name}`).toBe(true);
          expect(existsSync(join(out, group, name, 'dist')), `${group}/${name}/dist`).toBe(true);
        }
      }
      const stray = filesUnder(out)
        .map((f) => relative(out, f))
        .filter((f) => /\.ts$|\.tsbuildinfo$|(^|\/)test\//.test(f) || (f.endsWith('.md') && !f.startsWith('libs/vision/src/prompts/')));
      expect(stray).toEqual([]);
    });
  });

  describe('.dockerignore', () => {
    const ignored = dockerignore();

    it('keeps dependencies, build output, git, local data and secrets out of the context', () => {
      for (const path of [
        'node_modules/zod/package.json',
        'services/gateway/node_modules/x/index.js',
        'libs/config/dist/index.js',
        'apps/sessionpix/dist/main.js',
        '.git/HEAD',
        '.data/s3/x',
        '.env',
        'services/gateway/test/collections.test.ts',
        'libs/testing/src/s3/standin.spec.ts',
      ]) {
        expect(ignored(path), path).toBe(true);
      }
    });

    it('keeps every file the image build reads', () => {
      const needed = [
        'package.json',
        'package-lock.json',
        'tsconfig.base.json',
        'tsconfig.build.json',
        'deploy/Dockerfile',
        'deploy/docker-entrypoint.sh',
        'deploy/collect-runtime.sh',
      ];
      for (const group of ['libs', 'services', 'apps']) {
        for (const name of readdirSync(join(ROOT, group))) {
          const dir = join(ROOT, group, name);
          if (!existsSync(join(dir, 'package.json'))) continue;
          needed.push(`${group}/${name}/package.json`, `${group}/${name}/tsconfig.json`);
          needed.push(
            ...filesUnder(join(dir, 'src'))
              .map((f) => relative(ROOT, f))
              .filter((f) => !/\.(spec|test)\.ts$/.test(f)),
          );
        }
      }
      expect(needed.filter(ignored)).toEqual([]);
    });
  });

  describe('deploy/docker-entrypoint.sh', () => {
    it('lists its commands, and refuses an unknown one', () => {
      const help = runEntry(['help'], baseEnv({}));
      expect(help.status).toBe(0);
      for (const word of ['serve', 'migrate', 'admin', 'vision-pass-2']) expect(help.stdout).toContain(word);
      const wrong = runEntry(['thumbnailer'], baseEnv({}));
      expect(wrong.status).toBe(64);
      expect(wrong.stderr).toMatch(/unknown command "thumbnailer"/);
    });

    it('refuses a service argument that contradicts SESSIONPIX_SERVICES', () => {
      const result = runEntry(['gateway'], baseEnv({ SESSIONPIX_SERVICES: 'ingest' }));
      expect(result.status).toBe(64);
      expect(result.stderr).toMatch(/SESSIONPIX_SERVICES is "ingest"/);
    });

    it('runs the admin CLI', () => {
      const result = runEntry(['admin', 'help'], baseEnv({}));
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/org:create --name/);
    });

    it('runs the billing CLI (not the billing service, which `billing` starts)', () => {
      const result = runEntry(['billing-cli', 'help'], baseEnv({}));
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/report --from <date> --to <date>/);
    });

    it('runs the migrations: creates the database, applies them, then finds it up to date', async () => {
      const name = `sessionpix_deploy_${randomBytes(4).toString('hex')}`;
      const url = new URL(SERVER_URL);
      url.pathname = `/${name}`;
      const env = baseEnv({ DATABASE_URL: url.toString(), NODE_ENV: 'production' });
      try {
        const first = runEntry(['migrate'], env);
        expect(first.stderr).toBe('');
        expect(first.status).toBe(0);
        expect(first.stdout).toContain(`created database ${name}`);
        expect(first.stdout).toMatch(/applied \d+ migration\(s\)/);
        const second = runEntry(['migrate'], env);
        expect(second.status).toBe(0);
        expect(second.stdout).toContain(`database ${name} is up to date`);
      } finally {
        const client = new Client({ connectionString: SERVER_URL });
        await client.connect();
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await client.end();
      }
    });

    describe('a worker started through it, in production without the API key pepper', () => {
      const dbName = `sessionpix_deploy_${randomBytes(4).toString('hex')}`;
      const dbUrl = Object.assign(new URL(SERVER_URL), { pathname: `/${dbName}` }).toString();
      let s3: S3Standin;
      let s3Dir: string;
      let child: ChildProcess | undefined;
      let output = '';

      beforeAll(async () => {
        expect(runEntry(['migrate'], baseEnv({ DATABASE_URL: dbUrl })).status).toBe(0);
        s3Dir = mkdtempSync(join(tmpdir(), 'sessionpix-deploy-s3-'));
        s3 = await startS3Standin({ dataDir: s3Dir, bucket: 'sessionpix-deploy' });
      });

      afterAll(async () => {
        if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await s3?.close();
        rmSync(s3Dir, { recursive: true, force: true });
        const client = new Client({ connectionString: SERVER_URL });
        await client.connect();
        await client.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
        await client.end();
      });

      it('starts, is ready, and drains its workers on SIGTERM: the signal reaches Node and Nest', async () => {
        child = spawn('sh', [ENTRY, 'vision-pass-1'], {
          env: baseEnv({
            NODE_ENV: 'production',
            LOG_LEVEL: 'info',
            DATABASE_URL: dbUrl,
            QUEUE_PREFIX: uniquePrefix(),
            OPS_PORT: '0',
            SHUTDOWN_GRACE_MS: '5000',
            AWS_REGION: 'us-east-1',
            S3_BUCKET: s3.bucket,
            AWS_ENDPOINT_URL_S3: s3.endpoint,
            S3_FORCE_PATH_STYLE: 'true',
            AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
            AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
            VISION_ENABLED: 'false',
          }),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const proc = child;
        proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
        proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
        // 'close', not 'exit': it waits for the output pipes to drain too.
        const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
          proc.once('close', (code, signal) => resolve({ code, signal })),
        );

        const started = await new Promise<{ ops: string }>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no start-up line within 30 s:\n${output}`)), 30_000);
          const check = () => {
            const line = output.split('\n').find((l) => l.includes('"msg":"sessionpix started"'));
            if (line) {
              clearTimeout(timer);
              resolve(JSON.parse(line) as { ops: string });
            }
          };
          proc.stdout?.on('data', check);
          void exited.then(() => reject(new Error(`exited during start-up:\n${output}`)));
        });

        // exec: the shell was replaced by Node, so this pid is the one SIGTERM reaches.
        if (existsSync(`/proc/${proc.pid}/cmdline`)) {
          const cmdline = readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8').split('\0');
          expect(cmdline).toContain('apps/sessionpix/dist/main.js');
          expect(cmdline[0]).toMatch(/node$/);
        }

        let ready = 0;
        for (let i = 0; i < 100 && ready !== 200; i++) {
          ready = await fetch(`${started.ops}/readyz`).then((r) => r.status, () => 0);
          if (ready !== 200) await new Promise((r) => setTimeout(r, 200));
        }
        expect(ready, output).toBe(200);

        // The health check compose runs: `sessionpix probe /readyz` against OPS_PORT.
        const opsPort = new URL(started.ops).port;
        expect(runEntry(['probe', '/readyz'], baseEnv({ OPS_PORT: opsPort })).status).toBe(0);
        expect(runEntry(['probe', '/no-such-path'], baseEnv({ OPS_PORT: opsPort })).status).toBe(1);

        const before = Date.now();
        proc.kill('SIGTERM');
        const exit = await exited;
        expect(Date.now() - before).toBeLessThan(15_000);
        expect(exit.code === 0 || exit.signal === 'SIGTERM', JSON.stringify(exit)).toBe(true);
        expect(output, output).toMatch(/workers drained/);
        await expect(fetch(`${started.ops}/healthz`)).rejects.toThrow();
      }, 60_000);
    });
  });
});
