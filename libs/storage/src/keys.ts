import { InvalidObjectKeyError } from './errors';

/** `masterHalf`: the master at half its size, for the vision crops that need no more detail. */
export type ItemObjectKind = 'original' | 'master' | 'masterHalf' | 'analysis' | 'thumbnail';

const FILE_NAMES: Readonly<Record<ItemObjectKind, string>> = {
  // The raw upload keeps no extension: its type is unknown until ingest decodes it.
  original: 'original',
  master: 'master.jpg',
  masterHalf: 'master-half.jpg',
  analysis: 'analysis.jpg',
  thumbnail: 'thumb.webp',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Only canonical UUIDs reach a key: no `/`, `..` or empty id can move a key out of its org. */
export function assertUuid(value: unknown, field: string): string {
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw new InvalidObjectKeyError(`${field} must be a UUID, got ${JSON.stringify(value)}`);
  }
  // One spelling per id, so the same item always maps to the same key.
  return value.toLowerCase();
}

/** `orgs/{org}/` — everything one organization has stored. */
export function orgPrefix(orgId: string): string {
  return `orgs/${assertUuid(orgId, 'orgId')}/`;
}

/** `orgs/{org}/items/{item}/` — every object of one item. */
export function itemPrefix(orgId: string, itemId: string): string {
  return `${orgPrefix(orgId)}items/${assertUuid(itemId, 'itemId')}/`;
}

export function itemObjectKey(orgId: string, itemId: string, kind: ItemObjectKind): string {
  const file = Object.hasOwn(FILE_NAMES, kind) ? FILE_NAMES[kind] : undefined;
  if (!file) throw new InvalidObjectKeyError(`unknown item object kind ${JSON.stringify(kind)}`);
  return itemPrefix(orgId, itemId) + file;
}

// A control character, a backslash, or a segment that is empty, "." or "..".
const UNSAFE_SEGMENT = /(^|\/)\.{0,2}(\/|$)/;
// eslint-disable-next-line no-control-regex
const UNSAFE_CHAR = /[\u0000-\u001f\u007f\\]/;

/** Guards every key the store touches, whoever built it. */
export function assertObjectKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidObjectKeyError('object key must be a non-empty string');
  if (Buffer.byteLength(key) > 1024) throw new InvalidObjectKeyError('object key is longer than 1024 bytes');
  if (UNSAFE_CHAR.test(key) || UNSAFE_SEGMENT.test(key)) {
    throw new InvalidObjectKeyError(`object key ${JSON.stringify(key)} has an empty, "." or ".." segment or a control character`);
  }
  return key;
}

/** A prefix must end at a segment boundary, so `orgs/a` can never also match `orgs/ab…`. */
export function assertPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || !prefix.endsWith('/')) {
    throw new InvalidObjectKeyError(`prefix ${JSON.stringify(prefix)} must be a non-empty path ending in "/"`);
  }
  assertObjectKey(prefix.slice(0, -1));
  return prefix;
}
