import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * A SigV4 checker for the recording proxy.
 *
 * s3rver accepts any well-formed SigV4 signature, so on its own it cannot tell whether a client
 * sent the headers a presigned URL was bound to. This recomputes the signature the way S3 does
 * (canonical request → string to sign → HMAC chain) from what actually arrived on the wire.
 * Payload hashes are taken as declared (`x-amz-content-sha256` / UNSIGNED-PAYLOAD), not checked
 * against the body, since the proxy forwards bodies without buffering them.
 */
export interface SigV4Request {
  method: string;
  /** Raw request target as received: path and query, still percent-encoded. */
  url: string;
  headers: IncomingHttpHeaders;
}

export type SigV4Result = { ok: true; accessKeyId: string } | { ok: false; code: string; reason: string };

interface Parsed {
  accessKeyId: string;
  scope: string;
  amzDate: string;
  signedHeaders: string[];
  signature: string;
  payloadHash: string;
  presigned: boolean;
  expiresSeconds?: number;
}

const fail = (code: string, reason: string): SigV4Result => ({ ok: false, code, reason });

export function verifySigV4(
  req: SigV4Request,
  secretFor: (accessKeyId: string) => string | undefined,
  now: Date = new Date(),
): SigV4Result {
  const [rawPath, rawQuery = ''] = splitOnce(req.url, '?');
  const query = parseQuery(rawQuery);
  const parsed = query.some(([k]) => k === 'X-Amz-Algorithm')
    ? parsePresigned(query)
    : parseAuthorizationHeader(req.headers);
  if ('ok' in parsed) return parsed;

  const secret = secretFor(parsed.accessKeyId);
  if (secret === undefined) return fail('InvalidAccessKeyId', `unknown access key ${parsed.accessKeyId}`);

  if (parsed.presigned && parsed.expiresSeconds !== undefined) {
    const expiresAt = parseAmzDate(parsed.amzDate) + parsed.expiresSeconds * 1000;
    if (!Number.isFinite(expiresAt)) return fail('AuthorizationQueryParametersError', 'bad X-Amz-Date or X-Amz-Expires');
    if (now.getTime() > expiresAt) return fail('AccessDenied', 'Request has expired');
  }

  // S3 refuses x-amz-* headers that the signature does not cover.
  const unsigned = Object.keys(req.headers).filter(
    (h) => h.startsWith('x-amz-') && !parsed.signedHeaders.includes(h),
  );
  if (unsigned.length > 0) return fail('AccessDenied', `headers present but not signed: ${unsigned.join(', ')}`);

  const headerLines: string[] = [];
  for (const name of parsed.signedHeaders) {
    const value = req.headers[name];
    if (value === undefined) return fail('SignatureDoesNotMatch', `signed header "${name}" was not sent`);
    const joined = Array.isArray(value) ? value.join(',') : value;
    headerLines.push(`${name}:${joined.trim().replace(/\s+/g, ' ')}`);
  }

  const canonicalQuery = query
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak === bk ? compare(av, bv) : compare(ak, bk)))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');

  const canonicalRequest = [
    req.method.toUpperCase(),
    rawPath || '/',
    canonicalQuery,
    headerLines.join('\n') + '\n',
    parsed.signedHeaders.join(';'),
    parsed.payloadHash,
  ].join('\n');

  const stringToSign = [
    'AWS4-HMAC-SHA256',
    parsed.amzDate,
    parsed.scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');

  const [date, region, service] = parsed.scope.split('/');
  let key: Buffer = hmac(`AWS4${secret}`, date!);
  for (const part of [region!, service!, 'aws4_request']) key = hmac(key, part);
  const expected = createHmac('sha256', key).update(stringToSign).digest();
  const given = Buffer.from(parsed.signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return fail('SignatureDoesNotMatch', 'the signature does not match the request as sent');
  }
  return { ok: true, accessKeyId: parsed.accessKeyId };
}

function parsePresigned(query: [string, string][]): Parsed | SigV4Result {
  const get = (k: string) => query.find(([name]) => name === k)?.[1];
  const credential = get('X-Amz-Credential');
  const signedHeaders = get('X-Amz-SignedHeaders');
  const signature = get('X-Amz-Signature');
  const amzDate = get('X-Amz-Date');
  const expires = get('X-Amz-Expires');
  if (get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' || !credential || !signedHeaders || !signature || !amzDate || !expires) {
    return fail('AuthorizationQueryParametersError', 'incomplete SigV4 query parameters');
  }
  const [accessKeyId, ...scope] = credential.split('/');
  return {
    accessKeyId: accessKeyId!,
    scope: scope.join('/'),
    amzDate,
    signedHeaders: signedHeaders.split(';'),
    signature,
    payloadHash: 'UNSIGNED-PAYLOAD',
    presigned: true,
    expiresSeconds: Number(expires),
  };
}

function parseAuthorizationHeader(headers: IncomingHttpHeaders): Parsed | SigV4Result {
  const auth = headers.authorization;
  if (!auth) return fail('AccessDenied', 'request is not signed');
  const match = /^AWS4-HMAC-SHA256 Credential=([^,]+),\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]+)$/.exec(auth);
  const amzDate = headers['x-amz-date'];
  const payloadHash = headers['x-amz-content-sha256'];
  if (!match || typeof amzDate !== 'string' || typeof payloadHash !== 'string') {
    return fail('AuthorizationHeaderMalformed', 'malformed SigV4 Authorization header');
  }
  const [accessKeyId, ...scope] = match[1]!.split('/');
  return {
    accessKeyId: accessKeyId!,
    scope: scope.join('/'),
    amzDate,
    signedHeaders: match[2]!.split(';'),
    signature: match[3]!,
    payloadHash,
    presigned: false,
  };
}

function parseQuery(raw: string): [string, string][] {
  if (!raw) return [];
  return raw.split('&').map((pair) => {
    const [k, v = ''] = splitOnce(pair, '=');
    return [decodeURIComponent(k), decodeURIComponent(v)];
  });
}

function splitOnce(s: string, sep: string): [string, string?] {
  const i = s.indexOf(sep);
  return i < 0 ? [s] : [s.slice(0, i), s.slice(i + 1)];
}

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

// Byte order, as S3 sorts; the encoded strings are ASCII so code-unit order is the same.
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function parseAmzDate(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : Number.NaN;
}
