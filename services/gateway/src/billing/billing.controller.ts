import { Body, Controller, Get, Headers, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ZodResponse } from 'nestjs-zod';
import { MinRole, Operator, Public } from '../auth/access';
import { Tenant, type TenantContext } from '../auth/tenant';
import { auditInOrg } from '../audit/audit-trail';
import { ProblemError } from '../http/problem';
import { BillingClient } from './billing-client';
import {
  BillingStatusDto,
  CheckoutDto,
  CheckoutSessionDto,
  PortalSessionDto,
  ReportQueryDto,
  WebhookAckDto,
} from './billing.schemas';
import type { RawBodyRequest } from './raw-body';
import { StripeWebhooks } from './webhooks';

/** Billing: owners subscribe and manage it; Stripe reports what happened through the webhook. */
@ApiTags('billing')
@Controller('v1/billing')
export class BillingController {
  constructor(
    private readonly billing: BillingClient,
    private readonly webhooks: StripeWebhooks,
  ) {}

  @Post('webhook')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Stripe’s webhook: a signed event (Stripe-Signature), ledgered and applied asynchronously' })
  @ZodResponse({ status: 200, type: WebhookAckDto })
  receive(@Req() request: RawBodyRequest, @Headers('stripe-signature') signature?: string) {
    return this.webhooks.receive(request.rawBody, signature);
  }

  @Get()
  @MinRole('owner')
  @ApiOperation({ summary: 'The organization’s plan, access, photo quota and usage this period, and the card on file (brand, last four)' })
  @ZodResponse({ status: 200, type: BillingStatusDto })
  status(@Tenant() t: TenantContext) {
    return this.billing.call('status', { orgId: t.orgId });
  }

  @Post('checkout')
  @MinRole('owner')
  @ApiOperation({ summary: 'Start a subscription: a Stripe Checkout Session (access begins when Stripe confirms payment)' })
  @ZodResponse({ status: 201, type: CheckoutSessionDto })
  async checkout(@Tenant() t: TenantContext, @Body() body: CheckoutDto) {
    const session = await this.billing.call('checkout', { orgId: t.orgId, userId: t.userId, planId: body.plan });
    await t.em.transactional(async (tx) => {
      auditInOrg(tx, t, 'billing.checkout_started', { type: 'checkout_session', id: session.sessionId }, { plan: body.plan });
    });
    return session;
  }

  @Post('portal')
  @MinRole('owner')
  @HttpCode(200)
  @ApiOperation({ summary: 'Open the Stripe Customer Portal (change plan, card, cancel, invoices)' })
  @ZodResponse({ status: 200, type: PortalSessionDto })
  async portal(@Tenant() t: TenantContext) {
    const session = await this.billing.call('portal', { orgId: t.orgId });
    await t.em.transactional(async (tx) => {
      auditInOrg(tx, t, 'billing.portal_opened', { type: 'organization', id: t.orgId });
    });
    return session;
  }
}

/** For sessionpix's billing team (BILLING_ADMIN_TOKEN), across every org. */
@ApiTags('admin')
@Controller('v1/admin/billing')
export class BillingAdminController {
  constructor(private readonly billing: BillingClient) {}

  @Get('report')
  @Operator()
  @ApiOperation({ summary: 'The reconciliation report for a period, as JSON, CSV or a text table (the view is audited)' })
  @ApiProduces('application/json', 'text/csv', 'text/plain')
  @ApiOkResponse({ description: 'The report.' })
  async report(@Query() query: ReportQueryDto, @Req() request: RawBodyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const from = new Date(query.from);
    const to = new Date(query.to);
    if (!(from < to)) throw ProblemError.validation([{ field: 'to', message: 'must be after from' }]);
    const answer = await this.billing.call('report', {
      from: from.toISOString(),
      to: to.toISOString(),
      actor: `admin API from ${request.ip}`.slice(0, 200),
    });
    if (query.format === 'csv') {
      reply.header('content-type', 'text/csv; charset=utf-8');
      reply.header('content-disposition', `attachment; filename="billing-reconciliation-${query.from.slice(0, 10)}-${query.to.slice(0, 10)}.csv"`);
      return answer.csv;
    }
    if (query.format === 'table') {
      reply.header('content-type', 'text/plain; charset=utf-8');
      return answer.table;
    }
    return answer.report;
  }
}
