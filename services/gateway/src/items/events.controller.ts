import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { DomainEvents } from '@sessionpix/queue';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Tenant, type TenantContext } from '../auth/tenant';
import { CollectionsService } from '../collections/collections.service';
import { IdParamDto } from './item.schemas';

const HEARTBEAT_MS = 15_000;

@ApiTags('items')
@ApiBearerAuth()
@Controller('v1/collections')
export class CollectionEventsController {
  constructor(
    private readonly collections: CollectionsService,
    private readonly events: DomainEvents,
  ) {}

  /**
   * Server-sent events: one `item.status_changed` per transition of any item in the
   * collection, from whichever process made it. Clients re-read the item after reconnecting.
   */
  @Get(':id/events')
  @ApiOperation({ summary: 'Stream status changes of the collection’s items (text/event-stream)' })
  @ApiProduces('text/event-stream')
  async stream(
    @Tenant() t: TenantContext,
    @Param() params: IdParamDto,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.collections.load(t.em, params.id);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    raw.write(': connected\n\n');
    const unsubscribe = await this.events.subscribe((event) => {
      if (event.orgId !== t.orgId || event.collectionId !== params.id) return;
      const { orgId: _org, ...visible } = event;
      raw.write(`id: ${event.itemId}:${event.at}\nevent: ${event.type}\ndata: ${JSON.stringify(visible)}\n\n`);
    });
    const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
    request.raw.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
    });
  }
}
