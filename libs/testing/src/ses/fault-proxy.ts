import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What the proxy does to one SendEmail request instead of passing it on:
 *  - `throttle`: 429 TooManyRequestsException (SES's "Maximum sending rate exceeded");
 *  - `server-error`: 503 ServiceUnavailable;
 *  - `message-rejected`: 400 MessageRejected;
 *  - `bad-address`: 400 BadRequestException "Illegal address";
 *  - `hold-after-send`: passes the request on (the stand-in stores the e-mail) and then never
 *    answers, holding the connection: the caller can be killed "between the SES call and
 *    recording its answer";
 *  - `drop-after-send`: passes it on, then cuts the connection without an answer.
 */
export type SesFault = 'throttle' | 'server-error' | 'message-rejected' | 'bad-address' | 'hold-after-send' | 'drop-after-send';

export interface SesProxyRequest {
  to: string[];
  /** What the proxy answered: a status, or `held` / `dropped`. */
  outcome: number | 'held' | 'dropped';
  /** Milliseconds since the epoch. */
  at: number;
}

export interface SesFaultProxy {
  endpoint: string;
  /** Every SendEmail request, in order. */
  readonly requests: SesProxyRequest[];
  /**
   * Applies `fault` to the next `times` requests (default 1) — only to those to `recipient`
   * when it is given. Faults apply in the order they were injected.
   */
  inject(fault: SesFault, opts?: { times?: number; recipient?: string }): void;
  /** Resolves when a request has been held (`hold-after-send`). */
  nextHold(): Promise<SesProxyRequest>;
  close(): Promise<void>;
}

const FAULT_ANSWERS: Record<Exclude<SesFault, 'hold-after-send' | 'drop-after-send'>, { status: number; type: string; message: string }> = {
  throttle: { status: 429, type: 'TooManyRequestsException', message: 'Maximum sending rate exceeded.' },
  'server-error': { status: 503, type: 'ServiceUnavailable', message: 'Service unavailable, please try again.' },
  'message-rejected': { status: 400, type: 'MessageRejected', message: 'Email address is not verified.' },
  'bad-address': { status: 400, type: 'BadRequestException', message: 'Illegal address' },
};

/**
 * An HTTP proxy in front of the SES stand-in (which accepts everything and never fails) that
 * injects SES's failures, answered the way SES v2 answers them (status, `x-amzn-ErrorType`,
 * JSON body), so the real SDK parses them as it would in production.
 */
export async function startSesFaultProxy(target: string): Promise<SesFaultProxy> {
  const upstream = new URL(target);
  const requests: SesProxyRequest[] = [];
  const faults: { fault: SesFault; left: number; recipient?: string }[] = [];
  const holdWaiters: ((r: SesProxyRequest) => void)[] = [];
  const held: ServerResponse[] = [];
  const sockets = new Set<Socket>();

  const forward = (req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const out = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers[k] = v;
            resolve({ status: res.statusCode ?? 502, headers, body: Buffer.concat(chunks) });
          });
          res.on('error', reject);
        },
      );
      out.on('error', reject);
      out.end(body);
    });

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const isSend = req.method === 'POST' && (req.url ?? '').startsWith('/v2/email/outbound-emails');
        if (!isSend) {
          const answer = await forward(req, body);
          res.writeHead(answer.status, answer.headers).end(answer.body);
          return;
        }
        let to: string[] = [];
        try {
          to = ((JSON.parse(body.toString('utf8')) as { Destination?: { ToAddresses?: string[] } }).Destination?.ToAddresses ?? []).map((a) =>
            a.toLowerCase(),
          );
        } catch {
          // not JSON: passed on as it is
        }
        const entry: SesProxyRequest = { to, outcome: 0, at: Date.now() };
        requests.push(entry);
        const index = faults.findIndex((f) => f.left > 0 && (!f.recipient || to.includes(f.recipient.toLowerCase())));
        const fault = index >= 0 ? faults[index] : undefined;
        if (fault) {
          fault.left -= 1;
          if (fault.left === 0) faults.splice(index, 1);
        }
        if (!fault || fault.fault === 'hold-after-send' || fault.fault === 'drop-after-send') {
          const answer = await forward(req, body);
          if (fault?.fault === 'hold-after-send') {
            entry.outcome = 'held';
            held.push(res);
            holdWaiters.shift()?.(entry);
            return;
          }
          if (fault?.fault === 'drop-after-send') {
            entry.outcome = 'dropped';
            req.socket.destroy();
            return;
          }
          entry.outcome = answer.status;
          res.writeHead(answer.status, answer.headers).end(answer.body);
          return;
        }
        const answer = FAULT_ANSWERS[fault.fault];
        entry.outcome = answer.status;
        res
          .writeHead(answer.status, {
            'content-type': 'application/json',
            'x-amzn-errortype': `${answer.type}:http://internal.amazon.com/coral/com.amazonaws.sesv2/`,
            'x-amzn-requestid': `proxy-${requests.length}`,
          })
          .end(JSON.stringify({ message: answer.message }));
      })().catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(502).end(String(err));
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    inject(fault, opts = {}) {
      faults.push({ fault, left: opts.times ?? 1, recipient: opts.recipient });
    },
    nextHold() {
      return new Promise((resolve) => holdWaiters.push(resolve));
    },
    async close() {
      for (const res of held) res.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
