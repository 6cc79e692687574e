import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import { QueueKeys } from 'bullmq';
import YAML from 'yaml';
import { AWS_SDK_VARIABLES, configVariableNames, loadConfig } from '@sessionpix/config';
import { QUEUE_CONSUMERS, QUEUE_NAMES, SERVICE_NAMES, type QueueName } from '@sessionpix/contracts';
import { QUEUE_SETTINGS } from '@sessionpix/queue';

/*
 * What can be checked of the Helm chart without helm: values against the schema, every path a
 * template reads against values.yaml, every environment variable name against the
 * configuration contract, the service table against the code. Rendering (`helm lint`,
 * `helm template`) is for an operator's machine; the chart README says so.
 */

const ROOT = join(__dirname, '..', '..', '..');
const CHART = join(ROOT, 'k8s', 'charts', 'sessionpix');
const TEMPLATES = join(CHART, 'templates');

type Values = Record<string, unknown>;

const SERVICE_KEYS = ['gateway', 'ingest', 'visionPass1', 'visionPass2', 'billing', 'notifications'] as const;
const WORKER_KEYS = SERVICE_KEYS.filter((k) => k !== 'gateway');

/** Contract variables the chart deliberately never sets, and why. */
const NOT_FOR_KUBERNETES: Record<string, string> = {
  SESSIONPIX_ALLOW_LOCAL_ENDPOINTS: 'laptop stand-ins only; the chart runs NODE_ENV=production, which refuses it',
  SNS_ALLOWED_LOCAL_HOSTS: 'a local SNS stand-in for tests only; refused when NODE_ENV=production',
};

function readYaml(path: string): Values {
  return YAML.parse(readFileSync(path, 'utf8'), { merge: true }) as Values;
}

function isMap(v: unknown): v is Values {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Helm's coalescing: maps merge, anything else replaces, and a null removes the key. */
function coalesce(base: Values, overlay: Values): Values {
  const out: Values = {};
  for (const [k, v] of Object.entries(base)) if (v !== null) out[k] = isMap(v) ? coalesce(v, {}) : v;
  for (const [k, v] of Object.entries(overlay)) {
    if (v === null) delete out[k];
    else if (isMap(v) && isMap(out[k])) out[k] = coalesce(out[k] as Values, v);
    else out[k] = isMap(v) ? coalesce(v, {}) : v;
  }
  return out;
}

function hasPath(root: unknown, path: string[]): boolean {
  let node = root;
  for (const key of path) {
    if (!isMap(node) || !Object.prototype.hasOwnProperty.call(node, key)) return false;
    node = node[key];
  }
  return true;
}

function templateFiles(): { name: string; text: string }[] {
  return readdirSync(TEMPLATES)
    .filter((n) => /\.(ya?ml|tpl|txt)$/.test(n))
    .map((name) => ({
      name,
      // Template comments may mention values in prose; only code counts.
      text: readFileSync(join(TEMPLATES, name), 'utf8').replace(/\{\{-?\s*\/\*[\s\S]*?\*\/\s*-?\}\}/g, ''),
    }));
}

function matches(text: string, re: RegExp): string[][] {
  return [...text.matchAll(re)].map((m) => [...m]);
}

function serviceTable(): Record<string, { name: string; queues: string[]; concurrencyVariable: string }> {
  const helpers = readFileSync(join(TEMPLATES, '_helpers.tpl'), 'utf8');
  const body = /\{\{- define "sessionpix\.serviceTable" -\}\}\n([\s\S]*?)\{\{- end \}\}/.exec(helpers);
  if (!body) throw new Error('sessionpix.serviceTable not found in _helpers.tpl');
  return YAML.parse(body[1]) as Record<string, { name: string; queues: string[]; concurrencyVariable: string }>;
}

const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as {
  definitions: Record<string, { enum?: string[]; properties?: Record<string, { items?: { enum?: string[] } }> }>;
};
const ajv = new Ajv({ strict: true, allowUnionTypes: true, allErrors: true });
const validate = ajv.compile(schema);
const defaults = readYaml(join(CHART, 'values.yaml'));

function errorsOf(values: Values): string[] {
  return validate(values) ? [] : (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath} ${e.message}`);
}

function withChange(path: string, value: unknown): Values {
  const overlay: Values = {};
  const keys = path.split('.');
  let node = overlay;
  keys.slice(0, -1).forEach((k) => {
    node[k] = {};
    node = node[k] as Values;
  });
  node[keys[keys.length - 1]] = value;
  return coalesce(defaults, overlay);
}

const contract = new Set<string>([...configVariableNames(), ...AWS_SDK_VARIABLES]);

describe('the Helm chart', () => {
  describe('values', () => {
    it('values.yaml validates against values.schema.json, as written and as Helm coalesces it', () => {
      expect(errorsOf(defaults)).toEqual([]);
      expect(errorsOf(coalesce(defaults, {}))).toEqual([]);
    });

    it.each(['values-small.yaml', 'values-high-volume.yaml'])('%s validates once merged over the defaults', (file) => {
      expect(errorsOf(coalesce(defaults, readYaml(join(CHART, file))))).toEqual([]);
    });

    it.each([
      ['a misspelt key', 'visionPass2.replica', 3],
      ['an unknown top-level key', 'visionpass2', { replicas: 3 }],
      ['a misspelt variable', 'env.AWS_REGOIN', 'us-east-1'],
      ['a number where the environment needs a string', 'env.DATABASE_POOL_MAX', 5],
      ['the API key pepper as plain configuration', 'env.API_KEY_PEPPER', 'x'.repeat(40)],
      ['a variable the chart sets itself', 'ingest.env.INGEST_CONCURRENCY', '4'],
      ['the pepper mounted into a worker', 'ingest.secret.keys', ['API_KEY_PEPPER']],
      ['AWS keys mounted into billing, which needs nothing from AWS', 'billing.secret.keys', ['STRIPE_SECRET_KEY', 'AWS_ACCESS_KEY_ID']],
      ['a billing without the Stripe key', 'billing.secret.keys', []],
      ['the Stripe secret key mounted into the gateway', 'gateway.secret.keys', ['API_KEY_PEPPER', 'STRIPE_SECRET_KEY']],
      ['the Stripe secret key mounted into a worker', 'notifications.secret.keys', ['STRIPE_SECRET_KEY']],
      ['the webhook secrets mounted into billing', 'billing.secret.keys', ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRETS']],
      ['the Stripe secret key as plain configuration', 'env.STRIPE_SECRET_KEY', 'sk_live_x'],
      ['the webhook secrets as plain configuration', 'gateway.env.STRIPE_WEBHOOK_SECRETS', 'whsec_x'],
      ['a gateway without the pepper', 'gateway.secret.keys', []],
      ['keys without a Secret to read them from', 'visionPass1.secret', { existingSecret: '', keys: ['AWS_ACCESS_KEY_ID'] }],
      ['a concurrency for a service without a queue', 'billing.concurrency', 4],
      ['a concurrency for the gateway', 'gateway.concurrency', 4],
      ['a zero concurrency', 'visionPass2.concurrency', 0],
      ['scaling a worker to zero', 'visionPass2.autoscaling.minReplicas', 0],
      ['a Redis URL where KEDA wants host:port', 'keda.redis.address', 'redis://redis:6379'],
      ['a shared Secret without REDIS_URL', 'secrets.shared.keys', ['DATABASE_URL']],
      ['a malformed IRSA role', 'serviceAccount.roleArn', 'sessionpix-role'],
    ])('refuses %s (%s)', (_what, path, value) => {
      expect(errorsOf(withChange(path, value))).not.toEqual([]);
    });

    it('accepts scaling pass 2 to 20 replicas with one value', () => {
      const values = withChange('visionPass2.replicas', 20);
      expect(errorsOf(values)).toEqual([]);
      expect((values.visionPass2 as Values).replicas).toBe(20);
    });

    it('leaves every vision pod time to finish one model call after SIGTERM', () => {
      for (const file of ['values.yaml', 'values-small.yaml', 'values-high-volume.yaml']) {
        const values = file === 'values.yaml' ? defaults : coalesce(defaults, readYaml(join(CHART, file)));
        const margin = values.shutdownMarginSeconds as number;
        const callTimeoutMs = (values.vision as Values).callTimeoutMs as number;
        for (const key of SERVICE_KEYS) {
          const svc = values[key] as Values;
          const drainMs = ((svc.terminationGracePeriodSeconds as number) - (svc.preStopSleepSeconds as number) - margin) * 1000;
          expect(drainMs, `${file} ${key}`).toBeGreaterThan(0);
          if (key.startsWith('vision')) expect(drainMs, `${file} ${key}`).toBeGreaterThanOrEqual(callTimeoutMs);
        }
      }
      // The same rule is enforced when rendering.
      const helpers = readFileSync(join(TEMPLATES, '_helpers.tpl'), 'utf8');
      expect(helpers).toMatch(/less than one model call/);
    });
  });

  describe('templates', () => {
    const files = templateFiles();

    it('every .Values path a template reads exists in values.yaml', () => {
      const missing: string[] = [];
      for (const { name, text } of files) {
        for (const [, path] of matches(text, /\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
          if (!hasPath(defaults, path.slice(1).split('.'))) missing.push(`${name}: .Values${path}`);
        }
      }
      expect(missing).toEqual([]);
    });

    it('every $svc path exists in all six services, every $worker path in all five workers', () => {
      const missing: string[] = [];
      for (const { name, text } of files) {
        for (const [, variable, path] of matches(text, /\$(svc|worker)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
          for (const key of variable === 'svc' ? SERVICE_KEYS : WORKER_KEYS) {
            if (!hasPath(defaults[key], path.slice(1).split('.'))) missing.push(`${name}: $${variable}${path} (${key})`);
          }
        }
      }
      expect(missing).toEqual([]);
    });

    it('reads values only through paths the two tests above resolve', () => {
      // Any other variable holding values would escape them; these hold something else.
      const known: Record<string, string> = {
        svc: 'a service block (checked above)',
        worker: 'a worker block (checked above)',
        root: 'the root context; $root.Values paths are checked as .Values paths',
        info: 'a row of sessionpix.serviceTable (checked against the code below)',
        component: 'dict of root and a component name',
        host: 'an item of gateway.ingress.hosts, whose shape the schema fixes',
      };
      const unknown = new Set<string>();
      for (const { name, text } of files) {
        for (const [, variable] of matches(text, /\$([A-Za-z_][A-Za-z0-9_]*)\.[A-Za-z_]/g)) {
          if (!(variable in known)) unknown.add(`${name}: $${variable}`);
        }
        for (const [field] of matches(text, /(?<![\w$)])\.(svc|worker)\.[A-Za-z_]/g)) unknown.add(`${name}: ${field}`);
      }
      expect([...unknown]).toEqual([]);
    });

    it('lists the six services the same way wherever it ranges over them', () => {
      for (const { name, text } of files) {
        for (const [line, variable] of matches(text, /\$(services|workers) := dict([^}]*)\}\}/g)) {
          const pairs = matches(line, /"(\w+)" \.Values\.(\w+)/g).map(([, k, v]) => [k, v]);
          expect(pairs.every(([k, v]) => k === v), `${name}: ${line}`).toBe(true);
          expect(pairs.map(([k]) => k), `${name}`).toEqual(variable === 'services' ? [...SERVICE_KEYS] : [...WORKER_KEYS]);
        }
      }
    });

    it('opens and closes every block', () => {
      for (const { name, text } of files) {
        const opened = matches(text, /\{\{-?\s*(?:if|range|with|define|block)\b/g).length;
        const closed = matches(text, /\{\{-?\s*end\s*-?\}\}/g).length;
        expect(closed, name).toBe(opened);
        expect(matches(text, /\{\{/g).length, name).toBe(matches(text, /\}\}/g).length);
      }
    });
  });

  describe('the service table agrees with the code', () => {
    const table = serviceTable();

    it('names every service and the queues it consumes', () => {
      expect(Object.keys(table)).toEqual([...SERVICE_KEYS]);
      expect(Object.values(table).map((r) => r.name)).toEqual([...SERVICE_NAMES]);
      for (const row of Object.values(table)) {
        const consumed = QUEUE_NAMES.filter((q) => QUEUE_CONSUMERS[q] === row.name);
        expect([...row.queues].sort(), row.name).toEqual([...consumed].sort());
      }
    });

    it("maps each worker's concurrency to its main queue's override variable", () => {
      for (const row of Object.values(table)) {
        const main = row.queues.includes(row.name) ? row.name : row.queues.length === 1 ? row.queues[0] : undefined;
        const expected = main ? QUEUE_SETTINGS[main as QueueName].concurrencyVariable : '';
        expect(row.concurrencyVariable, row.name).toBe(expected);
      }
    });

    it('scales on the wait list BullMQ itself uses: <prefix>:<queue>:wait', () => {
      const keda = readFileSync(join(TEMPLATES, 'keda.yaml'), 'utf8');
      expect(keda).toContain('listName: {{ printf "%s:%s:wait" $.Values.queuePrefix $queue | quote }}');
      for (const prefix of [defaults.queuePrefix as string, 'sessionpix-prod']) {
        for (const queue of QUEUE_NAMES) {
          expect(new QueueKeys(prefix).getKeys(queue).wait).toBe(`${prefix}:${queue}:wait`);
        }
      }
    });
  });

  describe('the configuration contract', () => {
    const table = serviceTable();
    const templateNames = new Set(
      templateFiles().flatMap(({ text }) => matches(text, /^\s*- name: ([A-Z][A-Z0-9_]+)\s*$/gm).map(([, n]) => n)),
    );
    const tableNames = new Set(Object.values(table).map((r) => r.concurrencyVariable).filter(Boolean));
    const envEnum = new Set(schema.definitions.envName.enum ?? []);
    const secretEnums: Record<string, string[]> = Object.fromEntries(
      Object.entries(schema.definitions)
        .filter(([name]) => name.endsWith('Secret'))
        .map(([name, def]) => [name, def.properties?.keys?.items?.enum ?? []]),
    );
    const sharedSecret = ['DATABASE_URL', 'REDIS_URL'];

    function valuesNames(values: Values): string[] {
      const names = Object.keys((values.env as Values | undefined) ?? {});
      names.push(...(((values.secrets as Values | undefined)?.shared as Values | undefined)?.keys as string[] | undefined ?? []));
      for (const key of SERVICE_KEYS) {
        const svc = (values[key] as Values | undefined) ?? {};
        names.push(...Object.keys((svc.env as Values | undefined) ?? {}));
        names.push(...(((svc.secret as Values | undefined)?.keys as string[] | undefined) ?? []));
      }
      return names;
    }

    it('the chart sets no variable the contract does not name', () => {
      const named = [
        ...templateNames,
        ...tableNames,
        ...envEnum,
        ...Object.values(secretEnums).flat(),
        ...sharedSecret,
        ...['values.yaml', 'values-small.yaml', 'values-high-volume.yaml'].flatMap((f) => valuesNames(readYaml(join(CHART, f)))),
      ];
      expect([...new Set(named)].filter((n) => !contract.has(n))).toEqual([]);
    });

    it('every contract variable can be set by the chart, or is listed as not for Kubernetes', () => {
      const settable = new Set([...templateNames, ...tableNames, ...envEnum, ...Object.values(secretEnums).flat(), ...sharedSecret]);
      const unreachable = configVariableNames().filter((v) => !settable.has(v) && !(v in NOT_FOR_KUBERNETES));
      // A new variable: add it to definitions.envName in values.schema.json (or to a Secret's keys).
      expect(unreachable).toEqual([]);
      for (const v of Object.keys(NOT_FOR_KUBERNETES)) expect(settable.has(v), v).toBe(false);
    });

    it("uses the configuration's own defaults for what it sets itself", () => {
      const config = loadConfig({}, { services: [] });
      expect(defaults.queuePrefix).toBe(config.QUEUE_PREFIX);
      expect((defaults.vision as Values).callTimeoutMs).toBe(config.VISION_CALL_TIMEOUT_MS);
      expect(defaults.ports).toEqual({ http: config.PORT, ops: config.OPS_PORT });
    });

    it('mounts the API key pepper and the sign-in token secret only into the gateway', () => {
      for (const secret of ['API_KEY_PEPPER', 'AUTH_TOKEN_SECRET']) {
        const holders = Object.entries(secretEnums)
          .filter(([, keys]) => keys.includes(secret))
          .map(([name]) => name);
        expect(holders, secret).toEqual(['gatewaySecret']);
        expect(envEnum.has(secret), secret).toBe(false);
        expect(templateNames.has(secret), secret).toBe(false);
      }
      const schemaOf = (key: string) => (JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as {
        properties: Record<string, { properties: { secret: { $ref: string } } }>;
      }).properties[key].properties.secret.$ref;
      expect(schemaOf('gateway')).toBe('#/definitions/gatewaySecret');
      for (const key of WORKER_KEYS) expect(schemaOf(key)).not.toBe('#/definitions/gatewaySecret');
      expect(schemaOf('billing')).toBe('#/definitions/billingSecret');
    });

    it('mounts the Stripe secret key only into billing, and the webhook secrets and billing-team token only into the gateway', () => {
      const holders = (secret: string) =>
        Object.entries(secretEnums)
          .filter(([, keys]) => keys.includes(secret))
          .map(([name]) => name);
      expect(holders('STRIPE_SECRET_KEY')).toEqual(['billingSecret']);
      expect(holders('STRIPE_WEBHOOK_SECRETS')).toEqual(['gatewaySecret']);
      expect(holders('BILLING_ADMIN_TOKEN')).toEqual(['gatewaySecret']);
      for (const secret of ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRETS', 'BILLING_ADMIN_TOKEN']) {
        expect(envEnum.has(secret), secret).toBe(false);
        expect(templateNames.has(secret), secret).toBe(false);
      }
      expect(((defaults.billing as Values).secret as Values).keys).toEqual(['STRIPE_SECRET_KEY']);
      expect(((defaults.gateway as Values).secret as Values).keys).toContain('STRIPE_WEBHOOK_SECRETS');
      expect(((defaults.billing as Values).networkPolicy as Values).httpsEgress).toBe(true);
    });

    it('gives every worker the variables it consumes queues with, and the gateway none', () => {
      const helpers = readFileSync(join(TEMPLATES, '_helpers.tpl'), 'utf8');
      expect(helpers).toContain('- name: {{ .info.concurrencyVariable }}');
      expect(table.gateway.concurrencyVariable).toBe('');
    });
  });

  describe('edges', () => {
    it('routes the webhook paths through the ingress, and requires TLS on it (P21)', () => {
      const ingress = readFileSync(join(TEMPLATES, 'gateway-ingress.yaml'), 'utf8');
      expect(ingress).toContain('"/v1/billing/webhook"');
      expect(ingress).toContain('"/v1/notifications/ses-events"');
      expect(ingress).toMatch(/fail "gateway\.ingress\.tls is required \(P21/);
    });

    it('creates the ServiceMonitor only where the Prometheus operator is installed', () => {
      const monitor = readFileSync(join(TEMPLATES, 'servicemonitor.yaml'), 'utf8');
      expect(monitor).toContain('.Capabilities.APIVersions.Has "monitoring.coreos.com/v1"');
    });

    it('runs migrations as a pre-install,pre-upgrade hook', () => {
      const job = readFileSync(join(TEMPLATES, 'migrate-job.yaml'), 'utf8');
      expect(job).toContain('helm.sh/hook: pre-install,pre-upgrade');
      expect(job).toContain('args: ["migrate"]');
    });
  });

  describe('the chart README', () => {
    const readme = readFileSync(join(CHART, 'README.md'), 'utf8');
    // Free-form Kubernetes objects and maps are documented as a whole, not key by key.
    const WHOLE = new Set([
      'resources', 'nodeSelector', 'tolerations', 'affinity', 'podAnnotations', 'annotations', 'labels', 'env',
      'podSecurityContext', 'containerSecurityContext', 'imagePullSecrets', 'hosts', 'tls', 'to', 'gatewayFrom',
      'metricsFrom', 'keys', 'startup', 'liveness', 'readiness',
    ]);

    function leaves(node: unknown, prefix: string[]): string[][] {
      if (!isMap(node) || (prefix.length > 0 && WHOLE.has(prefix[prefix.length - 1]))) return [prefix];
      return Object.entries(node).flatMap(([k, v]) => leaves(v, [...prefix, k]));
    }

    it('documents every value', () => {
      const undocumented = leaves(defaults, [])
        .map((path) => {
          const exact = path.join('.');
          const generic = (SERVICE_KEYS as readonly string[]).includes(path[0])
            ? [`<service>.${path.slice(1).join('.')}`, `<worker>.${path.slice(1).join('.')}`]
            : [];
          return [exact, ...generic].some((p) => readme.includes(`\`${p}\``)) ? undefined : exact;
        })
        .filter(Boolean);
      expect(undocumented).toEqual([]);
    });

    it('says what was not verified here and what an operator runs', () => {
      expect(readme).toMatch(/helm lint/);
      expect(readme).toMatch(/helm template/);
      expect(readme).toMatch(/nothing in this chart has been rendered by helm/i);
      expect(readme).toMatch(/no image has been built/i);
      expect(readme).toMatch(/replicas × concurrency/);
    });
  });
});
