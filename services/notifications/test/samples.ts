import type { EmailTemplateData, EmailTemplateId } from '@sessionpix/contracts';

const soon = '2026-12-01T14:05:00.000Z';

/** Data for every template, as the code that writes the rows would give it. */
export const SAMPLE_DATA: { [T in EmailTemplateId]: EmailTemplateData<T> } = {
  'account.confirm_email': { name: 'Ada Lovelace', confirmUrl: 'https://app.example/confirm-email#token=abc.secret1', expiresAt: soon },
  'account.sign_up_existing': { name: 'Ada Lovelace', signInUrl: 'https://app.example/sign-in', resetUrl: 'https://app.example/reset-password' },
  'account.password_reset': { name: 'Ada Lovelace', resetUrl: 'https://app.example/reset-password#token=abc.secret2', expiresAt: soon },
  'org.invitation': {
    orgName: 'Abbey Lane Studio',
    inviterName: 'George Martin',
    role: 'member',
    acceptUrl: 'https://app.example/join#token=abc.secret3',
    expiresAt: soon,
  },
  'security.new_sign_in': { name: 'Ada Lovelace', device: 'Safari on macOS', ip: '198.51.100.7', at: soon },
  'security.password_changed': { name: 'Ada Lovelace', how: 'changed', at: soon, resetUrl: 'https://app.example/reset-password' },
  'billing.receipt': {
    orgName: 'Abbey Lane Studio',
    amountMinor: 4900,
    currency: 'usd',
    invoiceNumber: 'SPX-0042',
    planName: 'Studio',
    periodEnd: '2027-01-01T00:00:00.000Z',
    manageUrl: 'https://app.example/billing',
  },
  'billing.payment_failed': {
    orgName: 'Abbey Lane Studio',
    amountMinor: 4900,
    currency: 'usd',
    invoiceNumber: 'SPX-0043',
    nextAttemptAt: soon,
    manageUrl: 'https://app.example/billing',
  },
  'billing.plan_limit_reached': {
    orgName: 'Abbey Lane Studio',
    planName: 'Free',
    limit: 100,
    limitName: 'photos this month',
    periodEnd: '2027-01-01T00:00:00.000Z',
    manageUrl: 'https://app.example/billing',
  },
  'analysis.batch_finished': {
    name: 'Ada Lovelace',
    collectionName: 'Mix day 1',
    analyzed: 23,
    failed: 1,
    collectionUrl: 'https://app.example/collections/0192b7c4-0000-7000-8000-000000000001',
  },
  'export.ready': { name: 'Ada Lovelace', downloadUrl: 'https://app.example/exports/x?sig=secret4', expiresAt: soon },
  'account.deletion_scheduled': { name: 'Ada Lovelace', deleteAfter: soon, cancelUrl: 'https://app.example/account#token=abc.secret5' },
  'account.deletion_completed': { name: 'Ada Lovelace', completedAt: soon },
  'policy.change': {
    name: 'Ada Lovelace',
    effectiveDate: '2026-12-24',
    summary: 'We now keep server logs for 60 days instead of 90.',
    policyUrl: 'https://app.example/privacy',
  },
};

/** What each template's subject says with SAMPLE_DATA. */
export const SAMPLE_SUBJECTS: Record<EmailTemplateId, string> = {
  'account.confirm_email': 'Confirm your e-mail address for sessionpix',
  'account.sign_up_existing': 'You already have a sessionpix account',
  'account.password_reset': 'Reset your sessionpix password',
  'org.invitation': 'George Martin invited you to Abbey Lane Studio on sessionpix',
  'security.new_sign_in': 'New sign-in to your sessionpix account',
  'security.password_changed': 'Your sessionpix password was changed',
  'billing.receipt': 'Receipt for Abbey Lane Studio: $49.00',
  'billing.payment_failed': 'Payment failed for Abbey Lane Studio',
  'billing.plan_limit_reached': 'Abbey Lane Studio reached a limit of its plan',
  'analysis.batch_finished': 'Results ready: Mix day 1',
  'export.ready': 'Your sessionpix export is ready',
  'account.deletion_scheduled': 'Your sessionpix account will be deleted',
  'account.deletion_completed': 'Your sessionpix account was deleted',
  'policy.change': 'Changes to the sessionpix privacy policy, effective December 24, 2026',
};
