import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type EntityManager, type Item, uuidv7, VisionResultCache } from '@sessionpix/db';
import type { z } from 'zod';
import { OUTPUT_SCHEMA, type PassOutput, type VisionPass } from '../passes';

/** Everything an answer depends on besides the org: the photo, the pass, the prompt, the model and the rest of the input. */
export interface ResultKey {
  imageSha256: string;
  pass: VisionPass;
  promptVersion: string;
  model: string;
  inputSha256: string;
}

/** SHA-256 of what a request carries besides its images and the prompt (pass 1's answer, layouts, crops). */
export function inputDigest(context: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(context ?? null))
    .digest('hex');
}

/**
 * The per-org cache of validated answers (`vision_result_cache`). Reads go through the caller's
 * org-scoped unit of work, so the tenant filter keeps every org to its own rows; an answer whose
 * item has been deleted is not served, and its row goes with the item.
 */
@Injectable()
export class VisionResultStore {
  async find<P extends VisionPass>(em: EntityManager, key: ResultKey & { pass: P }): Promise<PassOutput<P> | null> {
    const row = await em.findOne(
      VisionResultCache,
      { ...key, item: { deletedAt: null } },
      { fields: ['output'], orderBy: { createdAt: 'asc' } },
    );
    if (!row) return null;
    // Written validated; read back through the same schema so a shape change never slips through.
    const parsed = (OUTPUT_SCHEMA[key.pass] as z.ZodType).safeParse(row.output);
    return parsed.success ? (parsed.data as PassOutput<P>) : null;
  }

  /** Keeps an answer; a row already there for the same key stays (first answer wins). */
  async save(em: EntityManager, item: Item, key: ResultKey, schemaVersion: string, output: unknown): Promise<void> {
    await em.getConnection().execute(
      `insert into "vision_result_cache"
         ("id", "created_at", "updated_at", "org_id", "item_id", "image_sha256", "pass", "prompt_version", "model", "input_sha256", "schema_version", "output")
       values (?, now(), now(), ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb)
       on conflict do nothing`,
      [
        uuidv7(),
        item.org.id,
        item.id,
        key.imageSha256,
        key.pass,
        key.promptVersion,
        key.model,
        key.inputSha256,
        schemaVersion,
        JSON.stringify(output),
      ],
    );
  }
}
