import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { answerFor } from './answer';
import { recordCall } from './record';
import { Script } from './script';
import type { Behaviour, RecordedCall, Responder, Rule } from './types';
import { PromptCacheSim } from './usage';
import { errorResponse, type WireResponse } from './wire';

export interface ConverseStandinOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Supplies tool inputs for answers that are not scripted. */
  responder?: Responder;
  /** Standing rules, as if added with `rule()` after start. */
  rules?: Rule[];
  /** Added before every answer (simulated model latency). */
  delayMs?: number;
}

export interface ConverseStandin {
  /** `http://host:port`: give it to the SDK as `endpoint`. */
  url: string;
  port: number;
  /** Every call received, in arrival order. */
  calls: RecordedCall[];
  /** Queue one-shot behaviours, consumed one per call before any rule. */
  script(...behaviours: Behaviour[]): void;
  /** Add a standing rule; returns a function that removes it. */
  rule(rule: Rule): () => void;
  setResponder(responder: Responder | undefined): void;
  /** Forget calls, queued behaviours, rules and the prompt cache; keep the start options' responder. */
  reset(): void;
  close(): Promise<void>;
}

const CONVERSE_PATH = /^\/model\/([^/]+)\/converse$/;
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0');

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

export async function startConverseStandin(options: ConverseStandinOptions = {}): Promise<ConverseStandin> {
  const calls: RecordedCall[] = [];
  const script = new Script();
  const cache = new PromptCacheSim();
  const closing = new AbortController();
  let responder = options.responder;
  const addInitialRules = (): void => (options.rules ?? []).forEach((r) => script.addRule(r));
  addInitialRules();

  async function handle(req: Req, res: Res): Promise<void> {
    const startedAt = Date.now();
    const match = CONVERSE_PATH.exec((req.url ?? '').split('?')[0]!);
    if (req.method !== 'POST' || !match) {
      return send(res, errorResponse('UnknownOperationException', `the stand-in serves only POST /model/{id}/converse`));
    }
    const raw = await readBody(req);
    let call: RecordedCall;
    try {
      call = recordCall(calls.length + 1, decodeURIComponent(match[1]!), raw, req.httpVersion);
    } catch (err) {
      return send(res, errorResponse('ValidationException', (err as Error).message));
    }
    calls.push(call);
    const behaviour = script.next(call);
    const delay = (behaviour?.delayMs ?? 0) + (options.delayMs ?? 0);
    if (delay > 0) {
      // A client that gave up (abort, timeout) or a closing server drops the answer.
      const gone = new AbortController();
      res.once('close', () => gone.abort());
      try {
        await sleep(delay, undefined, { signal: AbortSignal.any([gone.signal, closing.signal]) });
      } catch {
        return;
      }
    }
    send(res, await answerFor(call, behaviour, { responder, cache, startedAt }));
  }

  const onRequest = (req: Req, res: Res): void => {
    handle(req, res).catch((err: Error) => send(res, errorResponse('InternalServerException', err.message)));
  };
  const h2 = http2.createServer(onRequest);
  const h1 = http.createServer(onRequest);
  const sockets = new Set<net.Socket>();
  // One port for both protocols: h2c clients open with the HTTP/2 preface, so peek at the
  // first bytes. The HTTP/2 session takes over the socket handle and reads the unshifted bytes.
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      socket.unshift(chunk);
      const n = Math.min(chunk.length, H2_PREFACE.length);
      if (chunk.subarray(0, n).equals(H2_PREFACE.subarray(0, n))) {
        h2.emit('connection', socket);
      } else {
        h1.emit('connection', socket);
        socket.resume();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = tcp.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  return {
    url: `http://${host}:${port}`,
    port,
    calls,
    script: (...behaviours) => script.enqueue(...behaviours),
    rule: (rule) => script.addRule(rule),
    setResponder: (r) => {
      responder = r;
    },
    reset: () => {
      calls.length = 0;
      script.clear();
      cache.clear();
      responder = options.responder;
      addInitialRules();
    },
    close: async () => {
      closing.abort();
      const closed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      h1.close();
      h2.close();
      await closed;
    },
  };
}

async function readBody(req: Req): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function send(res: Res, wire: WireResponse): void {
  const gone = 'stream' in res ? res.stream.destroyed : res.destroyed;
  if (res.writableEnded || gone) return;
  (res as http.ServerResponse).writeHead(wire.status, { ...wire.headers, 'content-length': Buffer.byteLength(wire.body) });
  res.end(wire.body);
}
