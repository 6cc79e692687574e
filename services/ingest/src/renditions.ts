import type { ItemObjectKind } from '@sessionpix/storage';

/** What ingest writes for every usable photo, and the content type of each. */
export const RENDITION_TYPES: Record<Exclude<ItemObjectKind, 'original'>, string> = {
  master: 'image/jpeg',
  masterHalf: 'image/jpeg',
  analysis: 'image/jpeg',
  thumbnail: 'image/webp',
};
export const RENDITION_KINDS = Object.keys(RENDITION_TYPES) as (keyof typeof RENDITION_TYPES)[];
