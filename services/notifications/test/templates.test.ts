import { readdirSync } from 'node:fs';
import { EMAIL_CATEGORY_KIND, EMAIL_SECRET_FIELDS, EMAIL_TEMPLATE_IDS, EMAIL_TEMPLATES } from '@sessionpix/contracts';
import { formatMoney, renderEmail, TEMPLATE_CATALOG, TEMPLATE_DIR, TemplateError } from '../src/templates';
import { SAMPLE_DATA, SAMPLE_SUBJECTS } from './samples';

const ctx = { supportEmail: 'help@sessionpix.example', unsubscribeUrl: 'https://api.example/v1/email/unsubscribe?token=t' };

describe('e-mail templates', () => {
  it('has a subject, an HTML and a text file for every template id, and no file for anything else', () => {
    const files = readdirSync(TEMPLATE_DIR).sort();
    const expected = ['layout.html', 'layout.txt', ...EMAIL_TEMPLATE_IDS.flatMap((id) => [`${id}.html`, `${id}.subject.txt`, `${id}.txt`])].sort();
    expect(files).toEqual(expected);
  });

  it('lists every template with its category, essential or optional', () => {
    expect(TEMPLATE_CATALOG.map((t) => t.id).sort()).toEqual([...EMAIL_TEMPLATE_IDS].sort());
    const kinds = Object.fromEntries(TEMPLATE_CATALOG.map((t) => [t.id, t.kind]));
    expect(kinds['analysis.batch_finished']).toBe('optional');
    for (const id of ['account.confirm_email', 'account.password_reset', 'billing.receipt', 'security.new_sign_in', 'policy.change'] as const) {
      expect(kinds[id], id).toBe('essential');
    }
    for (const t of TEMPLATE_CATALOG) expect(t.kind).toBe(EMAIL_CATEGORY_KIND[EMAIL_TEMPLATES[t.id].category]);
  });

  it.each(EMAIL_TEMPLATE_IDS)('P7/P23: %s renders with its declared data, names the support address, and links only with http(s)', (id) => {
    const mail = renderEmail(id, SAMPLE_DATA[id], ctx);
    expect(mail.subject).toBe(SAMPLE_SUBJECTS[id]);
    expect(mail.subject).not.toMatch(/[\r\n]/);
    for (const body of [mail.html, mail.text]) {
      expect(body).toContain('help@sessionpix.example');
      expect(body).not.toMatch(/\{\{|\}\}/);
      expect(body).not.toMatch(/undefined|null|NaN|\[object/);
    }
    // Every link of the data is in both bodies (a person can act on the e-mail either way).
    for (const [key, value] of Object.entries(SAMPLE_DATA[id])) {
      if (key.endsWith('Url')) {
        expect(mail.text, key).toContain(String(value));
        expect(mail.html, key).toContain(String(value).replace(/&/g, '&#38;'));
      }
    }
    expect(mail.html).not.toMatch(/<script|<img|https?:\/\/(?!app\.example|api\.example)/i); // P9: nothing remote, no tracker
    if (mail.kind === 'optional') {
      expect(mail.text).toContain(ctx.unsubscribeUrl);
      expect(mail.html).toContain(ctx.unsubscribeUrl);
    } else {
      expect(mail.text).not.toContain(ctx.unsubscribeUrl);
      expect(mail.text).toMatch(/service e-mail: it is sent whatever your e-mail settings say/);
    }
  });

  it('renders optional fields only when present', () => {
    const bare = renderEmail('billing.payment_failed', { orgName: 'Abbey Lane Studio', manageUrl: 'https://app.example/billing' }, ctx);
    expect(bare.text).toContain('We could not take the latest payment for Abbey Lane Studio.');
    expect(bare.text).not.toMatch(/try again|Invoice/);
    const full = renderEmail('billing.payment_failed', SAMPLE_DATA['billing.payment_failed'], ctx);
    expect(full.text).toContain('the payment of $49.00');
    expect(full.text).toContain('Invoice SPX-0043');
    const limit = renderEmail('billing.plan_limit_reached', { orgName: 'Bakery Rooms', manageUrl: 'https://app.example/billing' }, ctx);
    expect(limit.text).toContain('Bakery Rooms reached its photo limit');
  });

  it('formats money in the currency’s own precision', () => {
    expect(formatMoney(1234, 'usd')).toBe('$12.34');
    expect(formatMoney(500, 'JPY')).toBe('¥500');
    expect(formatMoney(1999, 'eur')).toBe('€19.99');
  });

  it('escapes data in HTML, and keeps header-breaking characters out of the subject', () => {
    const mail = renderEmail(
      'org.invitation',
      { ...SAMPLE_DATA['org.invitation'], orgName: '<b>Evil</b> & "Co"\r\nBcc: x@y' },
      ctx,
    );
    expect(mail.html).toContain('&#60;b&#62;Evil&#60;/b&#62; &#38; &#34;Co&#34;');
    expect(mail.html).not.toContain('<b>Evil</b>');
    expect(mail.subject).not.toMatch(/[\r\n]/);
  });

  it('fails with a clear error for an unknown template, missing data, or a link that is not http(s) — never echoing values', () => {
    expect(() => renderEmail('account.nope', {}, ctx)).toThrow(new TemplateError('unknown e-mail template "account.nope"'));
    const missing = (() => {
      try {
        renderEmail('account.password_reset', { name: 'Ada', expiresAt: '2026-12-01T14:05:00.000Z' }, ctx);
      } catch (err) {
        return err as Error;
      }
    })();
    expect(missing).toBeInstanceOf(TemplateError);
    expect(missing?.message).toMatch(/account\.password_reset.*resetUrl/);
    const secret = 'https://app.example/reset#token=very-secret';
    const extra = (() => {
      try {
        renderEmail('account.password_reset', { name: 'Ada', resetUrl: secret, expiresAt: 'yesterday' }, ctx);
      } catch (err) {
        return err as Error;
      }
    })();
    expect(extra?.message).toMatch(/expiresAt/);
    expect(extra?.message).not.toContain('very-secret');
    expect(() =>
      renderEmail('account.password_reset', { ...SAMPLE_DATA['account.password_reset'], resetUrl: 'javascript:alert(1)' }, ctx),
    ).toThrow(TemplateError);
    expect(() => renderEmail('analysis.batch_finished', SAMPLE_DATA['analysis.batch_finished'], { supportEmail: 'a@b.example' })).toThrow(
      /needs an unsubscribe link/,
    );
  });

  it('names the secret fields of each template that has them', () => {
    for (const [id, fields] of Object.entries(EMAIL_SECRET_FIELDS)) {
      for (const field of fields ?? []) expect(Object.keys(SAMPLE_DATA[id as keyof typeof SAMPLE_DATA]), id).toContain(field);
    }
  });
});
