import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProblemError } from '../http/problem';

/** A request whose exact bytes were kept (signature checks need them, not the parsed JSON). */
export type RawBodyRequest = FastifyRequest & { rawBody?: Buffer };

/**
 * Keeps the exact bytes of requests to `paths` on `request.rawBody` before the JSON parser sees
 * them: a webhook signature covers the bytes as sent, and re-serialising the parsed body would
 * not reproduce them. Every other route is untouched. Bodies over `maxBytes` are refused (413).
 */
export function keepRawBody(fastify: FastifyInstance, paths: readonly string[], maxBytes: number): void {
  const wanted = new Set(paths);
  fastify.addHook('preParsing', async (request: RawBodyRequest, _reply, payload) => {
    const path = request.url.split('?', 1)[0];
    if (!wanted.has(path)) return payload;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of payload) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      size += buffer.length;
      if (size > maxBytes) throw new ProblemError(413, 'payload_too_large', `the body is larger than ${maxBytes} bytes`);
      chunks.push(buffer);
    }
    const raw = Buffer.concat(chunks);
    request.rawBody = raw;
    const replay = Readable.from([raw]) as Readable & { receivedEncodedLength?: number };
    replay.receivedEncodedLength = raw.length;
    return replay;
  });
}
