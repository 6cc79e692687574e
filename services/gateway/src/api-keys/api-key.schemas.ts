import { API_KEY_ROLES } from '@sessionpix/contracts';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { pageOf, pageQuerySchema } from '../http/pagination.dto';

const role = z.enum(API_KEY_ROLES, { message: `must be one of ${API_KEY_ROLES.join(', ')}` });

export const createApiKeySchema = z.strictObject({
  label: z.string().trim().min(1, 'must not be empty').max(100, 'at most 100 characters'),
  role: role.default('member'),
});

/** Listed keys show only these: never the secret or its hash. */
export const apiKeySchema = z.object({
  keyId: z.string(),
  label: z.string(),
  role,
  lastUsedAt: z.iso.datetime().nullable(),
});

export const issuedApiKeySchema = apiKeySchema.extend({
  apiKey: z.string().describe('spx_<keyId>_<secret>: shown this once, stored only as an HMAC.'),
  createdAt: z.iso.datetime(),
});

export class CreateApiKeyDto extends createZodDto(createApiKeySchema) {}
export class ApiKeyPageDto extends createZodDto(pageOf(apiKeySchema)) {}
export class IssuedApiKeyDto extends createZodDto(issuedApiKeySchema) {}
export class ApiKeyPageQueryDto extends createZodDto(pageQuerySchema) {}
export class KeyIdParamDto extends createZodDto(
  z.strictObject({ keyId: z.string().regex(/^[a-z0-9]{16}$/, 'must be a key id (16 letters and digits)') }),
) {}
