import { z } from 'zod';

/**
 * Why a message is sent. Transactional categories (account, security, billing) cannot be
 * opted out of; announcements can (P15). The notifications worker reads this from the row.
 */
export const EMAIL_CATEGORIES = ['account', 'security', 'billing', 'announcement'] as const;
export type EmailCategory = (typeof EMAIL_CATEGORIES)[number];

const iso = z.iso.datetime();
const url = z.url();
const name = z.string().min(1).max(200);

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
} as const satisfies Record<string, { category: EmailCategory; data: z.ZodType }>;

export type EmailTemplateId = keyof typeof EMAIL_TEMPLATES;
export const EMAIL_TEMPLATE_IDS = Object.keys(EMAIL_TEMPLATES) as EmailTemplateId[];
export type EmailTemplateData<T extends EmailTemplateId> = z.input<(typeof EMAIL_TEMPLATES)[T]['data']>;

export const EMAIL_OUTBOX_STATUSES = ['pending', 'sending', 'sent', 'failed', 'suppressed'] as const;
export type EmailOutboxStatus = (typeof EMAIL_OUTBOX_STATUSES)[number];
