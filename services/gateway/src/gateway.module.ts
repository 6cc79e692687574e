import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { ZodSerializerInterceptor, ZodValidationPipe } from 'nestjs-zod';
import { ApiKeyGuard } from './auth/api-key.guard';
import { CollectionsController } from './collections/collections.controller';
import { CollectionsService } from './collections/collections.service';
import { OpenApiController } from './http/openapi.controller';
import { CollectionEventsController } from './items/events.controller';
import { ItemViews } from './items/item-view';
import { ItemsController } from './items/items.controller';
import { ItemsService } from './items/items.service';
import { UploadsService } from './items/uploads.service';
import { StorageModule } from '@sessionpix/storage';
import { OPENAPI_DOCUMENT, type OpenApiHolder } from './http/openapi.holder';
import { ProblemDetailsFilter } from './http/problem.filter';

@Module({
  imports: [StorageModule],
  controllers: [CollectionsController, ItemsController, CollectionEventsController, OpenApiController],
  providers: [
    CollectionsService,
    ItemsService,
    UploadsService,
    ItemViews,
    { provide: OPENAPI_DOCUMENT, useValue: { document: null } satisfies OpenApiHolder },
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_PIPE, useClass: ZodValidationPipe },
    { provide: APP_INTERCEPTOR, useClass: ZodSerializerInterceptor },
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
  ],
})
export class GatewayModule {}
