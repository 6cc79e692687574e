import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';

import { classifyS3Request, type S3Operation } from './operations';
import { verifySigV4 } from './sigv4';

export interface RecordedRequest {
  method: string;
  /** Raw request target as received (path + query, percent-encoded). */
  url: string;
  query: Record<string, string>;
  /** Header names are lower-case, as Node delivers them. */
  headers: IncomingHttpHeaders;
  operation: S3Operation;
  /** Counted as the body streams through; final once the request has ended. */
  bodyBytes: number;
  /** Status returned to the client (the stand-in's, or the proxy's own refusal). */
  status?: number;
  /** Why the proxy refused to forward the request, when it did. */
  rejected?: string;
  /** The client gave up before sending the whole body (S3 stores nothing of such a request). */
  clientAborted?: boolean;
}

export interface RecordingProxyOptions {
  /**
   * Check every request's SigV4 signature against this key pair and answer 403, as S3 would,
   * when it does not match what was sent. s3rver skips that check; with this on, a client that
   * sends other headers than a presigned URL was bound to fails here as it would in AWS.
   */
  verifySignatures?: { accessKeyId: string; secretAccessKey: string };
}

export interface RecordingProxy {
  /** Use as the S3 endpoint instead of the stand-in's own. */
  url: string;
  port: number;
  readonly requests: RecordedRequest[];
  clear(): void;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of the stand-in that records every request as it arrives on the wire,
 * so tests assert on what the SDK really sent rather than on what the code asked it to send.
 */
export async function startRecordingProxy(
  targetUrl: string,
  options: RecordingProxyOptions = {},
): Promise<RecordingProxy> {
  const target = new URL(targetUrl);
  const agent = new Agent({ keepAlive: true });
  const requests: RecordedRequest[] = [];
  const verify = options.verifySignatures;

  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      url,
      query: Object.fromEntries(new URL(url, 'http://proxy').searchParams),
      headers: { ...req.headers },
      operation: classifyS3Request(req.method ?? 'GET', url, req.headers),
      bodyBytes: 0,
    };
    requests.push(record);
    req.on('data', (chunk: Buffer) => (record.bodyBytes += chunk.length));
    req.on('close', () => {
      if (!req.complete) record.clientAborted = true;
    });

    if (verify) {
      const result = verifySigV4({ method: record.method, url, headers: req.headers }, (id) =>
        id === verify.accessKeyId ? verify.secretAccessKey : undefined,
      );
      if (!result.ok) {
        record.rejected = `${result.code}: ${result.reason}`;
        record.status = 403;
        return refuse(req, res, result.code, result.reason);
      }
    }
    forward(req, res, record);
  });

  function forward(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): void {
    const upstream = httpRequest(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
        agent,
      },
      (upRes) => {
        record.status = upRes.statusCode;
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        pipeline(upRes, res, ignore);
      },
    );
    // pipeline() rather than pipe(): a client that hangs up must not crash the test process.
    pipeline(req, upstream, (err) => {
      if (!err || res.headersSent) return;
      record.status = 502;
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`recording proxy: upstream failed: ${err.message}`);
    });
  }

  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    clear: () => void requests.splice(0),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      agent.destroy();
    },
  };
}

function refuse(req: IncomingMessage, res: ServerResponse, code: string, message: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>`;
  // Drain the body so the client is not left writing into a closed socket.
  req.resume();
  res.writeHead(403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function ignore(): void {}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
