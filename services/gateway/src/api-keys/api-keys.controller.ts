import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { roleAtLeast } from '@sessionpix/contracts';
import { ApiKey, decodeCursor, toPage } from '@sessionpix/db';
import { ZodResponse } from 'nestjs-zod';
import { MinRole } from '../auth/access';
import { issueApiKey } from '../auth/api-key';
import { Tenant, type TenantContext } from '../auth/tenant';
import { auditInOrg } from '../audit/audit-trail';
import { ProblemError } from '../http/problem';
import { ApiKeyPageDto, ApiKeyPageQueryDto, CreateApiKeyDto, IssuedApiKeyDto, KeyIdParamDto } from './api-key.schemas';
import { ApiKeyCache } from '../auth/api-key-cache';

function view(k: ApiKey) {
  return { keyId: k.keyId, label: k.label, role: k.role, lastUsedAt: k.lastUsedAt?.toISOString() ?? null };
}

/** Role-scoped API keys, managed by the org's admins. */
@ApiTags('api-keys')
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keyCache: ApiKeyCache,
  ) {}

  @Post()
  @MinRole('admin')
  @ApiOperation({ summary: 'Create an API key for this organization (the key is shown once)' })
  @ZodResponse({ status: 201, type: IssuedApiKeyDto })
  async create(@Tenant() t: TenantContext, @Body() body: CreateApiKeyDto) {
    if (!roleAtLeast(t.role, body.role)) {
      throw new ProblemError(HttpStatus.FORBIDDEN, 'forbidden', `a ${t.role} cannot create a key with the ${body.role} role`);
    }
    return t.em.transactional(async (tx) => {
      const issued = issueApiKey(tx, t.orgId, body.label, this.config.apiKeyPepper, body.role);
      auditInOrg(tx, t, 'api_key.created', { type: 'api_key', id: issued.keyId }, { role: body.role });
      await tx.flush();
      const row = await tx.findOneOrFail(ApiKey, { id: issued.id });
      return { ...view(row), apiKey: issued.apiKey, createdAt: row.createdAt.toISOString() };
    });
  }

  @Get()
  @MinRole('admin')
  @ApiOperation({ summary: 'List the organization’s active keys: key id, label, role and last use only' })
  @ZodResponse({ status: 200, type: ApiKeyPageDto })
  async list(@Tenant() t: TenantContext, @Query() query: ApiKeyPageQueryDto) {
    const before = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await t.em.find(
      ApiKey,
      { revokedAt: null, ...(before ? { id: { $lt: before } } : {}) },
      { orderBy: { id: 'desc' }, limit: query.limit + 1 },
    );
    const page = toPage(rows, query.limit);
    return { items: page.items.map(view), nextCursor: page.nextCursor };
  }

  @Delete(':keyId')
  @MinRole('admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a key: it stops working at once' })
  @ApiNoContentResponse({ description: 'Revoked.' })
  async revoke(@Tenant() t: TenantContext, @Param() params: KeyIdParamDto): Promise<void> {
    await t.em.transactional(async (tx) => {
      const key = await tx.findOne(ApiKey, { keyId: params.keyId, revokedAt: null });
      if (!key) throw ProblemError.notFound('the API key');
      key.revokedAt = new Date();
      auditInOrg(tx, t, 'api_key.revoked', { type: 'api_key', id: key.keyId }, { role: key.role });
    });
    await this.keyCache.announceRevocation();
  }
}
