import { z } from 'zod';

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;

export class InvalidCursorError extends Error {
  constructor() {
    super('cursor is not one this API returned');
  }
}

const cursorSchema = z.strictObject({ id: z.uuid() });

/** Cursors are opaque to clients: base64url of the last id seen (UUIDv7, so time-ordered). */
export function encodeCursor(id: string): string {
  return Buffer.from(JSON.stringify({ id }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data.id;
  } catch {
    // fall through to the typed error
  }
  throw new InvalidCursorError();
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Turns `limit + 1` rows, newest first, into a page and the cursor for the next one. */
export function toPage<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  return { items, nextCursor: hasMore ? encodeCursor(items[items.length - 1].id) : null };
}
