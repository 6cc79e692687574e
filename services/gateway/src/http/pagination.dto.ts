import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '@sessionpix/db';
import { z } from 'zod';

export const pageQuerySchema = z.strictObject({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE, `at most ${MAX_PAGE_SIZE}`)
    .default(DEFAULT_PAGE_SIZE)
    .describe(`Page size, 1–${MAX_PAGE_SIZE}.`),
  cursor: z.string().min(1).max(200).optional().describe('`nextCursor` from the previous page.'),
});

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last.'),
  });
}
