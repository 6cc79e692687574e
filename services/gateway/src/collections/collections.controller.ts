import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodResponse } from 'nestjs-zod';
import { MinRole } from '../auth/access';
import { Tenant, type TenantContext } from '../auth/tenant';
import {
  CollectionDto,
  CollectionIdParamDto,
  CollectionPageDto,
  CollectionPageQueryDto,
  CreateCollectionDto,
  RenameCollectionDto,
} from './collection.schemas';
import { CollectionsService } from './collections.service';

@ApiTags('collections')
@Controller('v1/collections')
export class CollectionsController {
  constructor(private readonly collections: CollectionsService) {}

  @Post()
  @MinRole('member')
  @ApiOperation({ summary: 'Create a collection' })
  @ZodResponse({ status: 201, type: CollectionDto })
  create(@Tenant() t: TenantContext, @Body() body: CreateCollectionDto) {
    return this.collections.create(t, body.name);
  }

  @Get()
  @MinRole('viewer')
  @ApiOperation({ summary: 'List collections, newest first' })
  @ZodResponse({ status: 200, type: CollectionPageDto })
  list(@Tenant() t: TenantContext, @Query() query: CollectionPageQueryDto) {
    return this.collections.list(t, query.limit, query.cursor);
  }

  @Get(':id')
  @MinRole('viewer')
  @ApiOperation({ summary: 'Read a collection' })
  @ZodResponse({ status: 200, type: CollectionDto })
  get(@Tenant() t: TenantContext, @Param() params: CollectionIdParamDto) {
    return this.collections.get(t, params.id);
  }

  @Patch(':id')
  @MinRole('member')
  @ApiOperation({ summary: 'Rename a collection' })
  @ZodResponse({ status: 200, type: CollectionDto })
  rename(@Tenant() t: TenantContext, @Param() params: CollectionIdParamDto, @Body() body: RenameCollectionDto) {
    return this.collections.rename(t, params.id, body.name);
  }

  @Delete(':id')
  @MinRole('member')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a collection (at once from every read)' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  async remove(@Tenant() t: TenantContext, @Param() params: CollectionIdParamDto): Promise<void> {
    await this.collections.remove(t, params.id);
  }
}
