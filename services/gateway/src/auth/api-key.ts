import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRole } from '@sessionpix/contracts';
import { ApiKey, type EntityManager } from '@sessionpix/db';

const KEY_PATTERN = /^spx_([a-z0-9]{16})_([A-Za-z0-9_-]{43})$/;

export interface ParsedApiKey {
  keyId: string;
  secret: string;
}

export function parseApiKey(token: string): ParsedApiKey | null {
  const match = KEY_PATTERN.exec(token);
  return match ? { keyId: match[1], secret: match[2] } : null;
}

export function hashSecret(secret: string, pepper: string): string {
  return createHmac('sha256', pepper).update(secret).digest('hex');
}

/** Constant-time comparison of a presented secret with the stored HMAC. */
export function secretMatches(secret: string, storedHash: string, pepper: string): boolean {
  const presented = Buffer.from(hashSecret(secret, pepper), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

function newKeyId(): string {
  // 16 chars of [a-z0-9]: ~82 bits, readable in logs and support tickets.
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(16);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

export interface IssuedApiKey {
  id: string;
  keyId: string;
  /** Shown once; only its HMAC is stored. */
  apiKey: string;
}

/** Creates a key for an org (role `member` unless told); the caller commits the unit of work. */
export function issueApiKey(
  em: EntityManager,
  orgId: string,
  label: string,
  pepper: string,
  role: ApiKeyRole = 'member',
): IssuedApiKey {
  const keyId = newKeyId();
  const secret = randomBytes(32).toString('base64url');
  const row = em.create(ApiKey, { org: orgId, keyId, secretHash: hashSecret(secret, pepper), label, role });
  return { id: row.id, keyId, apiKey: `spx_${keyId}_${secret}` };
}
