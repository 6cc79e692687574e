import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { uuidv7 } from '@sessionpix/db';

/**
 * Opaque single-use tokens (refresh tokens, e-mail links, invitations): `<row id>.<secret>`.
 * The row is found by its id; only a SHA-256 of the 256-bit secret is stored and compared in
 * constant time (a slow hash adds nothing for a random secret of that size).
 */
export interface OpaqueToken {
  id: string;
  token: string;
  secretHash: string;
}

const TOKEN = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function newOpaqueToken(id: string = uuidv7()): OpaqueToken {
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `${id}.${secret}`, secretHash: sha256Hex(secret) };
}

export function parseOpaqueToken(token: unknown): { id: string; secret: string } | null {
  if (typeof token !== 'string') return null;
  const match = TOKEN.exec(token.trim());
  return match ? { id: match[1], secret: match[2] } : null;
}

export function opaqueSecretMatches(secret: string, storedHex: string): boolean {
  const presented = Buffer.from(sha256Hex(secret), 'hex');
  const stored = Buffer.from(storedHex, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
