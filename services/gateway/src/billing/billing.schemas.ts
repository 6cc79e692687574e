import { BILLING_ACCESS } from '@sessionpix/contracts';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

const iso = z.iso.datetime();

export const checkoutSchema = z.strictObject({
  plan: z.string().regex(/^[a-z0-9_-]{1,40}$/, 'must be a plan id such as "studio"').describe('The paid plan to subscribe to.'),
});

export const checkoutSessionSchema = z.object({
  url: z.url().describe('Stripe Checkout: send the owner here. Access starts when Stripe confirms the payment, not on return.'),
  sessionId: z.string(),
});

export const portalSessionSchema = z.object({ url: z.url().describe('The Stripe Customer Portal for this organization.') });

export const billingStatusSchema = z.object({
  entitlements: z.object({
    planId: z.string(),
    planName: z.string(),
    access: z.enum(BILLING_ACCESS),
    periodStart: iso,
    periodEnd: iso,
    photosPerPeriod: z.int(),
    photosUsed: z.int(),
    members: z.int(),
    storageBytes: z.int(),
  }),
  subscription: z.object({ status: z.string(), cancelAtPeriodEnd: z.boolean(), currentPeriodEnd: iso.nullable() }).nullable(),
  card: z.object({ brand: z.string().nullable(), last4: z.string().nullable() }).nullable(),
  billingEmail: z.string().nullable(),
});

export const webhookAckSchema = z.object({ received: z.literal(true), duplicate: z.boolean() });

export const reportQuerySchema = z.strictObject({
  from: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' }),
  to: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' }),
  format: z.enum(['json', 'csv', 'table']).default('json'),
});

export class CheckoutDto extends createZodDto(checkoutSchema) {}
export class CheckoutSessionDto extends createZodDto(checkoutSessionSchema) {}
export class PortalSessionDto extends createZodDto(portalSessionSchema) {}
export class BillingStatusDto extends createZodDto(billingStatusSchema) {}
export class WebhookAckDto extends createZodDto(webhookAckSchema) {}
export class ReportQueryDto extends createZodDto(reportQuerySchema) {}
