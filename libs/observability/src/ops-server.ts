import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthRegistry } from './health';
import { metricsRegistry } from './metrics';

export type OpsPath = '/healthz' | '/readyz' | '/metrics';

/** Answers an ops path; shared by the ops port and (in the gateway) the public port. */
export async function answerOps(
  path: OpsPath,
  health: HealthRegistry,
): Promise<{ status: number; contentType: string; body: string }> {
  if (path === '/metrics') {
    return { status: 200, contentType: metricsRegistry.contentType, body: await metricsRegistry.metrics() };
  }
  if (path === '/healthz') {
    return { status: 200, contentType: 'application/json', body: JSON.stringify({ status: 'ok' }) };
  }
  const report = await health.readiness();
  return {
    status: report.status === 'ok' ? 200 : 503,
    contentType: 'application/json',
    body: JSON.stringify(report),
  };
}

export const OPS_PATHS: readonly OpsPath[] = ['/healthz', '/readyz', '/metrics'];

/** One ops port per process, however many services it runs. */
export async function startOpsServer(port: number, health: HealthRegistry): Promise<Server> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] as OpsPath;
    if (req.method !== 'GET' || !OPS_PATHS.includes(path)) {
      res.writeHead(404, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404, code: 'not_found' }));
      return;
    }
    answerOps(path, health).then(
      (answer) => {
        res.writeHead(answer.status, { 'content-type': answer.contentType });
        res.end(answer.body);
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve());
  });
  return server;
}

export function serverPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}
