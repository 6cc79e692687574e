import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { DomainEvents } from '@sessionpix/queue';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MinRole } from '../auth/access';
import { Tenant, type TenantContext } from '../auth/tenant';
import { CollectionsService } from '../collections/collections.service';
import { IdParamDto } from './item.schemas';

const HEARTBEAT_MS = 15_000;

@ApiTags('items')
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
  @MinRole('viewer')
  @ApiOperation({ summary: 'Stream status changes of the collection’s items (text/event-stream)' })
  @ApiProduces('text/event-stream')
  async stream(
    @Tenant() t: TenantContext,
    @Param() params: IdParamDto,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.collections.load(t.em, params.id);
    const raw = reply.raw;
    let streaming = false;
    // Subscribed before the response starts: a client that sees the stream open may act at once
    // (upload) and must not miss what follows. A failure here is still an ordinary error response.
    const unsubscribe = await this.events.subscribe((event) => {
      if (!streaming || event.orgId !== t.orgId || event.collectionId !== params.id) return;
      const { orgId: _org, ...visible } = event;
      raw.write(`id: ${event.itemId}:${event.at}\nevent: ${event.type}\ndata: ${JSON.stringify(visible)}\n\n`);
    });
    reply.hijack();
    if (!raw.socket || raw.socket.destroyed) {
      // The client left while the subscription opened: nothing to stream to, no 'close' to come.
      unsubscribe();
      return;
    }
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    streaming = true;
    raw.write(': connected\n\n');
    const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
    request.raw.on('close', () => {
      streaming = false;
      clearInterval(heartbeat);
      unsubscribe();
    });
  }
}
