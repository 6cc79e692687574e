import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  EMAIL_CATEGORY_KIND,
  EMAIL_TEMPLATES,
  type EmailCategory,
  type EmailCategoryKind,
  type EmailTemplateId,
} from '@sessionpix/contracts';
import type { z } from 'zod';

/**
 * E-mail templates live in files, `src/templates/<template id>.{subject.txt,html,txt}`, inside
 * one layout (`layout.html`, `layout.txt`) that names the support address (P23) and, for
 * optional mail, the one-click unsubscribe link (P15). tsc does not copy them, so they are read
 * from the package's `src/templates` both from `src/` (tests) and from `dist/` (a build); a
 * deployment ships the directory beside `dist/` (deploy/collect-runtime.sh).
 *
 * The syntax is small on purpose: `{{name}}` (escaped for HTML in .html files), `{{{content}}}`
 * (the layout's slot, raw) and `{{#if name}}…{{/if}}`. A template that names a value its view
 * does not have is a bug, and rendering it throws.
 */
export const TEMPLATE_DIR = path.join(__dirname, '..', 'src', 'templates');

export class TemplateError extends Error {
  override name = 'TemplateError';
}

type Output<T extends EmailTemplateId> = z.output<(typeof EMAIL_TEMPLATES)[T]['data']>;
type View = Record<string, string | undefined>;

const UTC_DATE = new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone: 'UTC' });
const UTC_TIME = new Intl.DateTimeFormat('en-US', { timeStyle: 'short', timeZone: 'UTC', hourCycle: 'h23' });

/** "November 27, 2026 at 14:05 UTC": every recipient reads the same instant. */
export function formatDateTime(iso: string): string {
  const at = new Date(iso);
  return `${UTC_DATE.format(at)} at ${UTC_TIME.format(at)} UTC`;
}

export function formatDate(iso: string): string {
  return UTC_DATE.format(new Date(iso));
}

/** A YYYY-MM-DD day as written: "December 1, 2026" (no time zone can move it). */
export function formatDay(day: string): string {
  return UTC_DATE.format(new Date(`${day}T00:00:00Z`));
}

/** Integer minor units in the currency's own precision: 1234 usd → "$12.34", 500 jpy → "¥500". */
export function formatMoney(amountMinor: number, currency: string): string {
  const format = new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amountMinor / 10 ** digits);
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * What each template may say, computed from its row's data: formatted dates and amounts, and
 * the phrases that depend on a number. Keys whose value is undefined may only be used inside
 * `{{#if key}}`.
 */
const VIEWS: { [T in EmailTemplateId]: (d: Output<T>) => View } = {
  'account.confirm_email': (d) => ({ name: d.name, confirmUrl: d.confirmUrl, expiresAt: formatDateTime(d.expiresAt) }),
  'account.sign_up_existing': (d) => ({ name: d.name, signInUrl: d.signInUrl, resetUrl: d.resetUrl }),
  'account.password_reset': (d) => ({ name: d.name, resetUrl: d.resetUrl, expiresAt: formatDateTime(d.expiresAt) }),
  'org.invitation': (d) => ({
    orgName: d.orgName,
    inviterName: d.inviterName,
    role: d.role,
    acceptUrl: d.acceptUrl,
    expiresAt: formatDate(d.expiresAt),
  }),
  'security.new_sign_in': (d) => ({ name: d.name, device: d.device, ip: d.ip, at: formatDateTime(d.at) }),
  'security.password_changed': (d) => ({ name: d.name, how: d.how, at: formatDateTime(d.at), resetUrl: d.resetUrl }),
  'billing.receipt': (d) => ({
    orgName: d.orgName,
    amount: formatMoney(d.amountMinor, d.currency),
    planName: d.planName,
    invoiceNumber: d.invoiceNumber,
    periodEnd: d.periodEnd && formatDate(d.periodEnd),
    manageUrl: d.manageUrl,
  }),
  'billing.payment_failed': (d) => {
    const amount = d.amountMinor !== undefined && d.currency ? formatMoney(d.amountMinor, d.currency) : undefined;
    return {
      orgName: d.orgName,
      amount,
      noAmount: amount ? undefined : 'yes',
      planName: d.planName,
      invoiceNumber: d.invoiceNumber,
      nextAttemptAt: d.nextAttemptAt && formatDate(d.nextAttemptAt),
      manageUrl: d.manageUrl,
    };
  },
  'billing.plan_limit_reached': (d) => ({
    orgName: d.orgName,
    planName: d.planName,
    limitPhrase:
      d.limit !== undefined ? `its limit of ${d.limit} ${d.limitName ?? 'photos'}` : `its ${d.limitName ?? 'photo'} limit`,
    periodEnd: d.periodEnd && formatDate(d.periodEnd),
    manageUrl: d.manageUrl,
  }),
  'analysis.batch_finished': (d) => ({
    name: d.name,
    collectionName: d.collectionName,
    analyzedPhrase: `${plural(d.analyzed, 'photo', 'photos')} analyzed`,
    failed: d.failed > 0 ? String(d.failed) : undefined,
    failedPhrase: `${plural(d.failed, 'photo', 'photos')} could not be analyzed (the collection says why)`,
    collectionUrl: d.collectionUrl,
  }),
  'export.ready': (d) => ({ name: d.name, downloadUrl: d.downloadUrl, expiresAt: formatDateTime(d.expiresAt) }),
  'account.deletion_scheduled': (d) => ({ name: d.name, deleteAfter: formatDate(d.deleteAfter), cancelUrl: d.cancelUrl }),
  'account.deletion_completed': (d) => ({ name: d.name, completedAt: formatDate(d.completedAt) }),
  'policy.change': (d) => ({
    name: d.name,
    effectiveDate: formatDay(d.effectiveDate),
    summary: d.summary,
    policyUrl: d.policyUrl,
  }),
};

/** How a category is named in the footer of an optional e-mail. */
const CATEGORY_LABELS: Record<EmailCategory, string> = {
  account: 'account',
  security: 'security',
  billing: 'billing',
  legal: 'policy',
  activity: 'activity update',
  announcement: 'product news',
};

/** Every template with its category and whether it is essential or optional (P15). */
export const TEMPLATE_CATALOG: readonly { id: EmailTemplateId; category: EmailCategory; kind: EmailCategoryKind }[] = (
  Object.keys(EMAIL_TEMPLATES) as EmailTemplateId[]
).map((id) => ({ id, category: EMAIL_TEMPLATES[id].category, kind: EMAIL_CATEGORY_KIND[EMAIL_TEMPLATES[id].category] }));

// --- the template language -------------------------------------------------------------------

type Node =
  | { type: 'text'; text: string }
  | { type: 'var'; name: string; raw: boolean }
  | { type: 'if'; name: string; body: Node[] };

const TOKEN = /\{\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}\}|\{\{\s*(#if\s+([A-Za-z][A-Za-z0-9]*)|\/if|([A-Za-z][A-Za-z0-9]*))\s*\}\}/g;

function parse(source: string, file: string): Node[] {
  const root: Node[] = [];
  const stack: { name: string; body: Node[] }[] = [];
  let body = root;
  let at = 0;
  for (const match of source.matchAll(TOKEN)) {
    if (match.index > at) body.push({ type: 'text', text: source.slice(at, match.index) });
    at = match.index + match[0].length;
    if (match[1]) body.push({ type: 'var', name: match[1], raw: true });
    else if (match[3]) {
      const section = { name: match[3], body: [] as Node[] };
      body.push({ type: 'if', ...section });
      stack.push(section);
      body = section.body;
    } else if (match[2] === '/if') {
      if (!stack.pop()) throw new TemplateError(`${file}: {{/if}} without {{#if}}`);
      body = stack.length > 0 ? stack[stack.length - 1].body : root;
    } else body.push({ type: 'var', name: match[4], raw: false });
  }
  if (stack.length > 0) throw new TemplateError(`${file}: {{#if ${stack[stack.length - 1].name}}} is never closed`);
  if (at < source.length) body.push({ type: 'text', text: source.slice(at) });
  if (/\{\{|\}\}/.test(root.filter((n) => n.type === 'text').map((n) => (n as { text: string }).text).join(''))) {
    throw new TemplateError(`${file}: a {{ … }} the template language does not know`);
  }
  return root;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function renderNodes(nodes: Node[], view: View, escape: (v: string) => string, file: string): string {
  let out = '';
  for (const node of nodes) {
    if (node.type === 'text') out += node.text;
    else if (node.type === 'if') {
      if (!(node.name in view)) throw new TemplateError(`${file} tests {{#if ${node.name}}}, which the view does not have`);
      if (view[node.name]) out += renderNodes(node.body, view, escape, file);
    } else {
      if (!(node.name in view)) throw new TemplateError(`${file} uses {{${node.name}}}, which the view does not have`);
      const value = view[node.name];
      if (value === undefined) throw new TemplateError(`${file} uses {{${node.name}}} outside {{#if ${node.name}}}, and it is empty`);
      out += node.raw ? value : escape(value);
    }
  }
  return out;
}

const parsed = new Map<string, Node[]>();

function load(file: string): Node[] {
  let nodes = parsed.get(file);
  if (!nodes) {
    const full = path.join(TEMPLATE_DIR, file);
    let source: string;
    try {
      source = readFileSync(full, 'utf8');
    } catch (err) {
      throw new TemplateError(`e-mail template file ${full} is missing: ship services/notifications/src/templates with the build`, {
        cause: err,
      });
    }
    nodes = parse(source, file);
    parsed.set(file, nodes);
  }
  return nodes;
}

export interface RenderContext {
  /** P23: named in every e-mail. */
  supportEmail: string;
  /** Optional mail only: the one-click link (P15). */
  unsubscribeUrl?: string;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
  category: EmailCategory;
  kind: EmailCategoryKind;
}

/**
 * Renders one e-mail. The data is parsed against the template's schema first: an unknown
 * template or data that does not fit throws a TemplateError naming the template and the fields
 * (never their values, which may be secret links).
 */
export function renderEmail(templateId: string, data: unknown, ctx: RenderContext): RenderedEmail {
  if (!Object.prototype.hasOwnProperty.call(EMAIL_TEMPLATES, templateId)) {
    throw new TemplateError(`unknown e-mail template "${templateId}"`);
  }
  const id = templateId as EmailTemplateId;
  const template = EMAIL_TEMPLATES[id];
  const result = template.data.safeParse(data);
  if (!result.success) {
    const fields = result.error.issues.map((i) => `${i.path.join('.') || '(data)'} (${i.code})`).join(', ');
    throw new TemplateError(`the data of this ${id} e-mail does not fit its template: ${fields}`);
  }
  const kind = EMAIL_CATEGORY_KIND[template.category];
  if (kind === 'optional' && !ctx.unsubscribeUrl) {
    throw new TemplateError(`${id} is optional mail and needs an unsubscribe link`);
  }
  const view = (VIEWS[id] as (d: unknown) => View)(result.data);
  for (const [key, value] of Object.entries(view)) {
    // Links come from our own code, but a javascript: or data: link must never reach a mail client.
    if (/Url$/.test(key) && value !== undefined && !/^https?:\/\//i.test(value)) {
      throw new TemplateError(`${id}: ${key} is not an http(s) link`);
    }
  }
  const subject = renderNodes(load(`${id}.subject.txt`), view, (v) => v, `${id}.subject.txt`)
    .replace(/\s+/g, ' ')
    .trim();
  const frame: View = {
    subject,
    supportEmail: ctx.supportEmail,
    categoryLabel: CATEGORY_LABELS[template.category],
    unsubscribeUrl: kind === 'optional' ? ctx.unsubscribeUrl : undefined,
    essentialNote:
      kind === 'essential'
        ? 'This is a service e-mail: it is sent whatever your e-mail settings say.'
        : undefined,
  };
  const html = renderNodes(load('layout.html'), { ...frame, content: renderNodes(load(`${id}.html`), view, escapeHtml, `${id}.html`) }, escapeHtml, 'layout.html');
  const text = renderNodes(load('layout.txt'), { ...frame, content: renderNodes(load(`${id}.txt`), view, (v) => v, `${id}.txt`).trim() }, (v) => v, 'layout.txt');
  return { subject, html, text: `${text.trim()}\n`, category: template.category, kind };
}
