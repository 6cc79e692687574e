import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { pageOf, pageQuerySchema } from '../http/pagination.dto';

const name = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200, 'at most 200 characters')
  .describe('What the engineer calls this session or room.');

export const createCollectionSchema = z.strictObject({ name });
export const renameCollectionSchema = z.strictObject({ name });

export const collectionSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export class CreateCollectionDto extends createZodDto(createCollectionSchema) {}
export class RenameCollectionDto extends createZodDto(renameCollectionSchema) {}
export class CollectionDto extends createZodDto(collectionSchema) {}
export class CollectionPageDto extends createZodDto(pageOf(collectionSchema)) {}
export class CollectionPageQueryDto extends createZodDto(pageQuerySchema) {}
export class CollectionIdParamDto extends createZodDto(z.strictObject({ id: z.uuid('must be a UUID') })) {}
