import { ITEM_STATUSES } from '@sessionpix/contracts';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { pageOf, pageQuerySchema } from '../http/pagination.dto';

export const ACCEPTED_UPLOAD_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/heif'] as const;

const rendition = z.object({ url: z.url(), expiresAt: z.iso.datetime() });

export const itemSummarySchema = z.object({
  id: z.uuid(),
  status: z.enum(ITEM_STATUSES),
});

export const itemSchema = z.object({
  id: z.uuid(),
  collectionId: z.uuid(),
  status: z.enum(ITEM_STATUSES),
  reasonCode: z.string().nullable().describe('Stable code when paused, failed or rejected.'),
  reason: z.string().nullable().describe('A sentence for the user.'),
  retryable: z.boolean(),
  originalFilename: z.string().nullable(),
  width: z.int().nullable(),
  height: z.int().nullable(),
  sourceItemId: z.uuid().nullable().describe('Set when this photo duplicated an earlier upload and reuses its results.'),
  createdAt: z.iso.datetime(),
  statusChangedAt: z.iso.datetime(),
  renditions: z
    .object({ master: rendition.optional(), analysis: rendition.optional(), thumbnail: rendition.optional() })
    .describe('Short-lived presigned URLs, present once ingest has written them.'),
  results: z
    .object({
      pass1: z.record(z.string(), z.unknown()).optional(),
      pass2: z.record(z.string(), z.unknown()).optional(),
      disclaimer: z.string().optional(),
    })
    .describe('Structured outputs of the vision passes, when present.'),
});

export const uploadAcceptedSchema = z.object({ items: z.array(itemSummarySchema) });

export const createUploadSchema = z.strictObject({
  contentType: z.enum(ACCEPTED_UPLOAD_TYPES),
  contentLength: z.int().positive(),
  filename: z.string().trim().min(1).max(255).optional(),
});

export const presignedUploadSchema = z.object({
  uploadId: z.uuid(),
  itemId: z.uuid(),
  url: z.url(),
  method: z.literal('PUT'),
  headers: z.record(z.string(), z.string()).describe('Send exactly these headers with the PUT.'),
  expiresAt: z.iso.datetime(),
});

export class ItemDto extends createZodDto(itemSchema) {}
export class ItemPageDto extends createZodDto(pageOf(itemSchema)) {}
export class ItemPageQueryDto extends createZodDto(pageQuerySchema) {}
export class UploadAcceptedDto extends createZodDto(uploadAcceptedSchema) {}
export class CreateUploadDto extends createZodDto(createUploadSchema) {}
export class PresignedUploadDto extends createZodDto(presignedUploadSchema) {}
export class IdParamDto extends createZodDto(z.strictObject({ id: z.uuid('must be a UUID') })) {}
