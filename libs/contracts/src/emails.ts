import { z } from 'zod';

/**
 * Why a message is sent. Transactional categories (account, security, billing, legal) cannot be
 * opted out of; activity updates and announcements can (P15). The notifications worker reads
 * this from the row.
 */
export const EMAIL_CATEGORIES = ['account', 'security', 'billing', 'legal', 'activity', 'announcement'] as const;
export type EmailCategory = (typeof EMAIL_CATEGORIES)[number];

/**
 * Essential mail is sent whatever the preferences say (the service cannot work, or the law
 * requires the notice, without it); optional mail honours a per-user opt-out and carries a
 * one-click unsubscribe link (P15).
 */
export const EMAIL_CATEGORY_KIND = {
  account: 'essential',
  security: 'essential',
  billing: 'essential',
  /** P22: the policy promises to tell every active user about material changes. */
  legal: 'essential',
  /** Updates about the user's own work (an analysis batch finished). */
  activity: 'optional',
  /** Product news. */
  announcement: 'optional',
} as const satisfies Record<EmailCategory, 'essential' | 'optional'>;
export type EmailCategoryKind = (typeof EMAIL_CATEGORY_KIND)[EmailCategory];
export type OptionalEmailCategory = {
  [C in EmailCategory]: (typeof EMAIL_CATEGORY_KIND)[C] extends 'optional' ? C : never;
}[EmailCategory];
export const OPTIONAL_EMAIL_CATEGORIES = EMAIL_CATEGORIES.filter(
  (c) => EMAIL_CATEGORY_KIND[c] === 'optional',
) as OptionalEmailCategory[];
export function isOptionalCategory(category: string): category is OptionalEmailCategory {
  return (OPTIONAL_EMAIL_CATEGORIES as readonly string[]).includes(category);
}

const iso = z.iso.datetime();
const url = z.url();
const name = z.string().min(1).max(200);
/** A calendar day, YYYY-MM-DD. */
const day = z.iso.date();
/** Integer minor units (cents), as Stripe reports amounts. */
const amountMinor = z.int().min(0);
/** ISO 4217, lower or upper case (Stripe sends lower). */
const currency = z.string().regex(/^[A-Za-z]{3}$/, 'a three-letter ISO 4217 code');
const invoiceNumber = z.string().min(1).max(100);
const planName = z.string().min(1).max(100);
const count = z.int().min(0);

/**
 * Every e-mail template and the data its row carries. The row is the only place this data
 * lives: a job names the row's id, never these fields (links hold single-use secrets).
 */
export const EMAIL_TEMPLATES = {
  /** P7: account confirmation. */
  'account.confirm_email': {
    category: 'account',
    data: z.strictObject({ name, confirmUrl: url, expiresAt: iso }),
  },
  /** Someone tried to sign up with an address that already has an account. */
  'account.sign_up_existing': {
    category: 'account',
    data: z.strictObject({ name, signInUrl: url, resetUrl: url }),
  },
  /** P7: password reset. */
  'account.password_reset': {
    category: 'account',
    data: z.strictObject({ name, resetUrl: url, expiresAt: iso }),
  },
  'org.invitation': {
    category: 'account',
    data: z.strictObject({
      orgName: name,
      inviterName: name,
      role: z.string().min(1),
      acceptUrl: url,
      expiresAt: iso,
    }),
  },
  /** P7: security alert, a sign-in from a device not seen before. */
  'security.new_sign_in': {
    category: 'security',
    data: z.strictObject({ name, device: z.string().max(200), ip: z.string().max(64), at: iso }),
  },
  /** P7: security alert, the password was changed or reset. */
  'security.password_changed': {
    category: 'security',
    data: z.strictObject({ name, how: z.enum(['changed', 'reset']), at: iso, resetUrl: url }),
  },
  /** P7: billing receipt, a payment succeeded. */
  'billing.receipt': {
    category: 'billing',
    data: z.strictObject({
      orgName: name,
      amountMinor,
      currency,
      invoiceNumber: invoiceNumber.optional(),
      planName: planName.optional(),
      periodEnd: iso.optional(),
      manageUrl: url,
    }),
  },
  /** A payment failed; the owner fixes the card in the billing portal. */
  'billing.payment_failed': {
    category: 'billing',
    data: z
      .strictObject({
        orgName: name,
        amountMinor: amountMinor.optional(),
        currency: currency.optional(),
        invoiceNumber: invoiceNumber.optional(),
        planName: planName.optional(),
        periodEnd: iso.optional(),
        /** When Stripe tries again, if it does. */
        nextAttemptAt: iso.optional(),
        manageUrl: url,
      })
      .refine((d) => (d.amountMinor === undefined) === (d.currency === undefined), {
        message: 'amountMinor and currency go together',
        path: ['currency'],
      }),
  },
  /** The org reached a limit of its plan (photos per period, say). */
  'billing.plan_limit_reached': {
    category: 'billing',
    data: z.strictObject({
      orgName: name,
      planName: planName.optional(),
      /** The limit that was reached (a count). */
      limit: count.optional(),
      /** What the limit counts, as a person reads it: "photos this month". Default: photos. */
      limitName: z.string().min(1).max(100).optional(),
      /** When the limit resets. */
      periodEnd: iso.optional(),
      manageUrl: url,
    }),
  },
  /** Optional: every photo of an upload batch has its results (or failed). */
  'analysis.batch_finished': {
    category: 'activity',
    data: z.strictObject({
      name,
      collectionName: name,
      analyzed: count,
      failed: count,
      collectionUrl: url,
    }),
  },
  /** P15: the export the user asked for is ready to download (the link is short-lived). */
  'export.ready': {
    category: 'account',
    data: z.strictObject({ name, downloadUrl: url, expiresAt: iso }),
  },
  /** P14/P15: the account will be deleted at `deleteAfter` unless the user cancels. */
  'account.deletion_scheduled': {
    category: 'account',
    data: z.strictObject({ name, deleteAfter: iso, cancelUrl: url }),
  },
  /** P14/P15: the account and its data were deleted. */
  'account.deletion_completed': {
    category: 'account',
    data: z.strictObject({ name, completedAt: iso }),
  },
  /** P22: a material change to the privacy policy, sent to every active user. */
  'policy.change': {
    category: 'legal',
    data: z.strictObject({
      name,
      effectiveDate: day,
      summary: z.string().min(1).max(2000).optional(),
      policyUrl: url,
    }),
  },
} as const satisfies Record<string, { category: EmailCategory; data: z.ZodType }>;

/**
 * Data fields that hold a single-use secret (a link with a token). The notifications worker
 * wipes them from the row once the e-mail is sent, or will never be.
 */
export const EMAIL_SECRET_FIELDS: Partial<Record<keyof typeof EMAIL_TEMPLATES, readonly string[]>> = {
  'account.confirm_email': ['confirmUrl'],
  'account.password_reset': ['resetUrl'],
  'org.invitation': ['acceptUrl'],
  'export.ready': ['downloadUrl'],
  'account.deletion_scheduled': ['cancelUrl'],
};

export type EmailTemplateId = keyof typeof EMAIL_TEMPLATES;
export const EMAIL_TEMPLATE_IDS = Object.keys(EMAIL_TEMPLATES) as EmailTemplateId[];
export type EmailTemplateData<T extends EmailTemplateId> = z.input<(typeof EMAIL_TEMPLATES)[T]['data']>;

/**
 * pending → sending → sent is the way through. `sending` is set just before SES is called: a row
 * found there after a crash becomes `in_doubt` (SES has no idempotency key, so it is reported,
 * never resent). `suppressed`: not sent on purpose (preference, bounce, complaint); `rejected`:
 * the recipient address is unusable; `failed`: a permanent error, or transient ones that never
 * cleared. The row's `outcome` says which.
 */
export const EMAIL_OUTBOX_STATUSES = [
  'pending',
  'sending',
  'sent',
  'failed',
  'suppressed',
  'rejected',
  'in_doubt',
] as const;
export type EmailOutboxStatus = (typeof EMAIL_OUTBOX_STATUSES)[number];
