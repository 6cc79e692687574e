import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { AWS_SDK_VARIABLES, ConfigError, configVariableNames, loadConfig } from '@sessionpix/config';
import { SERVICE_NAMES, type ServiceName } from '@sessionpix/contracts';

/*
 * docker-compose.yml is not run here (no container engine): these tests check what it says
 * against the code — the image, the configuration contract, the start-up order — and feed each
 * container's environment to the same loadConfig the container would run.
 */

const ROOT = join(__dirname, '..', '..', '..');

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
  networks?: { default?: { aliases?: string[] } };
  ports?: string[];
}

const compose = YAML.parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const services = compose.services;
const contract = new Set<string>([...configVariableNames(), ...AWS_SDK_VARIABLES]);

const IMAGE = 'sessionpix:local';
/** The containers that run sessionpix itself (not the stand-ins built on the same image). */
const appServices = Object.entries(services).filter(
  ([, s]) => s.image === IMAGE && !s.entrypoint,
) as [string, ComposeService][];
const runners = appServices.filter(([name]) => name !== 'migrate');

function seconds(duration: string | undefined): number {
  const m = /^(\d+)(ms|s|m)$/.exec(duration ?? '');
  if (!m) throw new Error(`not a duration: ${duration}`);
  return Number(m[1]) * (m[2] === 'ms' ? 0.001 : m[2] === 'm' ? 60 : 1);
}

describe('docker-compose.yml', () => {
  it('runs the six services and the migration from the one image built by deploy/Dockerfile', () => {
    expect(runners.map(([, s]) => s.environment?.SESSIONPIX_SERVICES).sort()).toEqual([...SERVICE_NAMES].sort());
    for (const [name, s] of appServices) {
      expect(s.image, name).toBe(IMAGE);
      expect(s.build, name).toEqual({ context: '.', dockerfile: 'deploy/Dockerfile' });
    }
    for (const [name, s] of runners) expect(s.command, name).toEqual(['serve']);
    expect(services.migrate.command).toEqual(['migrate']);
  });

  it('sets no variable the configuration contract does not name', () => {
    const unknown = appServices.flatMap(([name, s]) =>
      Object.keys(s.environment ?? {})
        .filter((v) => !contract.has(v))
        .map((v) => `${name}: ${v}`),
    );
    expect(unknown).toEqual([]);
  });

  it("gives each container an environment its own start-up accepts", () => {
    for (const [name, s] of runners) {
      const env = s.environment ?? {};
      expect(() => loadConfig(env), name).not.toThrow();
      expect(loadConfig(env).SESSIONPIX_SERVICES, name).toEqual([env.SESSIONPIX_SERVICES as ServiceName]);
    }
    expect(() => loadConfig(services.migrate.environment ?? {}, { services: [] })).not.toThrow();
  });

  it('P10: reaches its stand-ins by compose host name only through the explicit local-endpoint opt-in', () => {
    const gateway = { ...services.gateway.environment };
    delete gateway.SESSIONPIX_ALLOW_LOCAL_ENDPOINTS;
    try {
      loadConfig(gateway);
      throw new Error('expected the compose S3 endpoint to be refused without the opt-in');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.map((p) => p.variable)).toEqual(['AWS_ENDPOINT_URL_S3']);
    }
    for (const [name, s] of runners) expect(s.environment?.NODE_ENV, name).not.toBe('production');
  });

  it('gives the API key pepper to the gateway only', () => {
    const holders = appServices.filter(([, s]) => s.environment?.API_KEY_PEPPER).map(([name]) => name);
    expect(holders).toEqual(['gateway']);
  });

  it('starts services after PostgreSQL and Redis are healthy and the migration has finished', () => {
    for (const [name, s] of runners) {
      expect(s.depends_on?.postgres, name).toEqual({ condition: 'service_healthy' });
      expect(s.depends_on?.redis, name).toEqual({ condition: 'service_healthy' });
      expect(s.depends_on?.migrate, name).toEqual({ condition: 'service_completed_successfully' });
      expect(s.healthcheck?.test, name).toEqual(['CMD', 'sessionpix', 'probe', '/readyz']);
    }
    expect(services.migrate.depends_on?.postgres).toEqual({ condition: 'service_healthy' });
    for (const [name, s] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(services[dependency], `${name} → ${dependency}`).toBeDefined();
        if (condition === 'service_healthy') expect(services[dependency].healthcheck, `${dependency}`).toBeDefined();
      }
    }
  });

  it('wires the S3 and SES stand-ins to the endpoints the services use, and creates the bucket', () => {
    const s3 = services.s3;
    const bucketArg = s3.entrypoint?.[s3.entrypoint.indexOf('--configure-bucket') + 1];
    const s3Port = s3.entrypoint?.[s3.entrypoint.indexOf('--port') + 1];
    const ses = services.ses;
    const sesPort = ses.entrypoint?.[ses.entrypoint.indexOf('--port') + 1];
    for (const [name, s] of runners) {
      const env = s.environment ?? {};
      if (env.AWS_ENDPOINT_URL_S3) {
        const url = new URL(env.AWS_ENDPOINT_URL_S3);
        expect(s3.networks?.default?.aliases, name).toContain(url.hostname);
        expect(url.port, name).toBe(s3Port);
        expect(env.S3_BUCKET, name).toBe(bucketArg);
        expect(env.S3_FORCE_PATH_STYLE, name).toBe('true');
      }
      if (env.AWS_ENDPOINT_URL_SESV2) {
        const url = new URL(env.AWS_ENDPOINT_URL_SESV2);
        expect(url.hostname, name).toBe('ses');
        expect(url.port, name).toBe(sesPort);
        expect(s.depends_on?.ses, name).toEqual({ condition: 'service_healthy' });
      }
      if (['gateway', 'ingest', 'vision-pass-1', 'vision-pass-2'].includes(env.SESSIONPIX_SERVICES ?? '')) {
        expect(s.depends_on?.s3, name).toEqual({ condition: 'service_healthy' });
      }
    }
    expect(s3.entrypoint).toContain('--no-vhost-buckets');
    expect(ses.entrypoint?.[1]).toBe('node_modules/aws-ses-v2-local/dist/cli.js');
  });

  it('keeps every Redis key (noeviction)', () => {
    const redis = services.redis.command?.join(' ') ?? '';
    expect(redis).toMatch(/--maxmemory-policy noeviction/);
  });

  it('lets each service drain before compose kills it, and vision finish a model call', () => {
    for (const [name, s] of runners) {
      const env = s.environment ?? {};
      const graceMs = loadConfig(env).SHUTDOWN_GRACE_MS;
      expect(seconds(s.stop_grace_period) * 1000, name).toBeGreaterThan(graceMs);
      if (env.SESSIONPIX_SERVICES?.startsWith('vision')) {
        expect(graceMs, name).toBeGreaterThanOrEqual(loadConfig(env).VISION_CALL_TIMEOUT_MS);
      }
    }
  });

  it('publishes ports on loopback only', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const port of s.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:/);
    }
  });
});
