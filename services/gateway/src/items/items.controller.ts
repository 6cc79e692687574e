import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ZodResponse } from 'nestjs-zod';
import { MinRole } from '../auth/access';
import { Tenant, type TenantContext } from '../auth/tenant';
import {
  CreateUploadDto,
  IdParamDto,
  ItemDto,
  ItemPageDto,
  ItemPageQueryDto,
  PresignedUploadDto,
  UploadAcceptedDto,
} from './item.schemas';
import { ItemsService } from './items.service';
import { UploadsService } from './uploads.service';

@ApiTags('items')
@Controller('v1')
export class ItemsController {
  constructor(
    private readonly items: ItemsService,
    private readonly uploads: UploadsService,
  ) {}

  @Post('collections/:id/items')
  @MinRole('member')
  @ApiOperation({ summary: 'Upload photos (multipart, one or more parts named "file")' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      properties: { file: { type: 'array', items: { type: 'string', format: 'binary' } } },
      required: ['file'],
    },
  })
  @ZodResponse({ status: 202, type: UploadAcceptedDto })
  async upload(
    @Tenant() t: TenantContext,
    @Param() params: IdParamDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return { items: await this.uploads.acceptMultipart(t, params.id, request, reply) };
  }

  @Post('collections/:id/uploads')
  @MinRole('member')
  @ApiOperation({ summary: 'Start a direct upload: a presigned S3 PUT, then POST /v1/uploads/{id}/complete' })
  @ZodResponse({ status: 201, type: PresignedUploadDto })
  presign(@Tenant() t: TenantContext, @Param() params: IdParamDto, @Body() body: CreateUploadDto) {
    return this.uploads.presign(t, params.id, body);
  }

  @Post('uploads/:id/complete')
  @MinRole('member')
  @ApiOperation({ summary: 'Finish a direct upload; the photo then goes through ingest' })
  @ZodResponse({ status: 202, type: UploadAcceptedDto })
  async complete(@Tenant() t: TenantContext, @Param() params: IdParamDto) {
    return { items: [await this.uploads.complete(t, params.id)] };
  }

  @Get('collections/:id/items')
  @MinRole('viewer')
  @ApiOperation({ summary: 'List a collection’s items, newest first' })
  @ZodResponse({ status: 200, type: ItemPageDto })
  list(@Tenant() t: TenantContext, @Param() params: IdParamDto, @Query() query: ItemPageQueryDto) {
    return this.items.list(t, params.id, query.limit, query.cursor);
  }

  @Get('items/:id')
  @MinRole('viewer')
  @ApiOperation({ summary: 'Read an item: status, reason, renditions and results' })
  @ZodResponse({ status: 200, type: ItemDto })
  get(@Tenant() t: TenantContext, @Param() params: IdParamDto) {
    return this.items.get(t, params.id);
  }

  @Delete('items/:id')
  @MinRole('member')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an item: gone from every read at once, objects purged shortly after' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  async remove(@Tenant() t: TenantContext, @Param() params: IdParamDto): Promise<void> {
    await this.items.remove(t, params.id);
  }

  @Post('items/:id/retry')
  @MinRole('member')
  @ApiOperation({ summary: 'Retry a failed item from the step that failed' })
  @ZodResponse({ status: 202, type: ItemDto })
  retry(@Tenant() t: TenantContext, @Param() params: IdParamDto) {
    return this.items.retry(t, params.id);
  }
}
