import { Inject, Injectable } from '@nestjs/common';
import { emForSystem, MikroORM, recordAudit } from '@sessionpix/db';
import { StripeApi } from './stripe/stripe-api';

/**
 * The billing team's reconciliation report for a period: events received here against those
 * Stripe lists, failed, ignored and unmatched events, open drift and drift healed in the period,
 * invoices Stripe has as paid that this database does not, refunds and disputes matched to our
 * invoices or not, and totals per currency — to the cent (integer minor units throughout).
 */

export interface CurrencyTotals {
  currency: string;
  invoicesPaid: number;
  amountPaid: number;
  refunds: number;
  amountRefunded: number;
  disputesLost: number;
  amountDisputedLost: number;
  net: number;
}

export interface ReconciliationReport {
  from: string;
  to: string;
  generatedAt: string;
  events: {
    receivedHere: number;
    listedByStripe: number;
    /** Stripe lists them; the ledger does not have them (yet). */
    missingHere: { eventId: string; type: string; created: string }[];
    bySource: Record<string, number>;
    byStatus: Record<string, number>;
  };
  failedEvents: { eventId: string; type: string; attempts: number; lastError: string | null }[];
  ignoredEvents: { type: string; count: number }[];
  unmatchedEvents: { eventId: string; type: string; customerId: string | null; note: string | null }[];
  openDrift: DriftLine[];
  driftInPeriod: DriftLine[];
  invoicesPaidInStripeNotHere: { invoiceId: string; customerId: string; currency: string; amountPaid: number; localStatus: string | null }[];
  refunds: MoneyLine[];
  disputes: MoneyLine[];
  refundsMissingHere: string[];
  disputesMissingHere: string[];
  totals: CurrencyTotals[];
}

interface DriftLine {
  at: string;
  orgId: string | null;
  entity: string;
  entityId: string;
  field: string;
  local: string | null;
  stripe: string | null;
  action: string;
}

interface MoneyLine {
  id: string;
  orgId: string | null;
  invoiceId: string | null;
  matched: boolean;
  status: string;
  currency: string;
  amount: number;
}

function n(v: unknown): number {
  return Number(v ?? 0);
}

function iso(v: Date | string | null): string {
  if (v === null) return '';
  const at = new Date(v);
  return Number.isNaN(at.getTime()) ? String(v) : at.toISOString();
}

@Injectable()
export class ReportService {
  constructor(
    @Inject(MikroORM) private readonly orm: MikroORM,
    private readonly api: StripeApi,
  ) {}

  async build(from: Date, to: Date, actor: string): Promise<ReconciliationReport> {
    const em = emForSystem(this.orm);
    const q = <T extends object>(sql: string, params: unknown[]) => em.execute<T[]>(sql, params, 'all');

    const ledger = await q<{ stripe_event_id: string; source: string; status: string }>(
      `select "stripe_event_id", "source", "status" from "billing_event" where "stripe_created_at" between ? and ?`,
      [from, to],
    );
    const here = new Set(ledger.map((r) => r.stripe_event_id));
    const listed: { id: string; type: string; created: number }[] = [];
    for await (const { event } of this.api.events(from, to)) listed.push({ id: event.id, type: event.type, created: event.created });
    const count = (rows: { [k: string]: string }[], key: string) =>
      rows.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r[key]]: (acc[r[key]] ?? 0) + 1 }), {});

    const failed = await q<{ stripe_event_id: string; type: string; attempts: number; last_error: string | null }>(
      `select "stripe_event_id", "type", "attempts", "last_error" from "billing_event"
        where "status" = 'failed' and "stripe_created_at" between ? and ? order by "stripe_created_at"`,
      [from, to],
    );
    const ignored = await q<{ type: string; count: number }>(
      `select "type", count(*)::int as "count" from "billing_event"
        where "status" = 'ignored' and "stripe_created_at" between ? and ? group by "type" order by "type"`,
      [from, to],
    );
    const unmatched = await q<{ stripe_event_id: string; type: string; stripe_customer_id: string | null; last_error: string | null }>(
      `select "stripe_event_id", "type", "stripe_customer_id", "last_error" from "billing_event"
        where "status" = 'unmatched' and "stripe_created_at" between ? and ? order by "stripe_created_at"`,
      [from, to],
    );
    const driftRow = (r: Record<string, unknown>): DriftLine => ({
      at: iso(r.created_at as Date),
      orgId: (r.org_id as string | null) ?? null,
      entity: r.entity as string,
      entityId: r.entity_id as string,
      field: r.field as string,
      local: (r.local_value as string | null) ?? null,
      stripe: (r.stripe_value as string | null) ?? null,
      action: r.action as string,
    });
    const openDrift = (
      await q<Record<string, unknown>>(`select * from "billing_drift" where "resolved_at" is null order by "created_at"`, [])
    ).map(driftRow);
    const driftInPeriod = (
      await q<Record<string, unknown>>(`select * from "billing_drift" where "created_at" between ? and ? order by "created_at"`, [from, to])
    ).map(driftRow);

    const paidInStripe = await this.api.invoicesCreatedBetween(from, to, 'paid');
    const ids = paidInStripe.map((i) => i.id);
    const localInvoices = new Map(
      (ids.length === 0
        ? []
        : await q<{ stripe_invoice_id: string; status: string }>(
            `select "stripe_invoice_id", "status" from "billing_invoice" where "stripe_invoice_id" in (${ids.map(() => '?').join(', ')})`,
            ids,
          )
      ).map((r) => [r.stripe_invoice_id, r.status]),
    );
    const notHere = paidInStripe
      .filter((i) => localInvoices.get(i.id) !== 'paid')
      .map((i) => ({ invoiceId: i.id, customerId: i.customerId, currency: i.currency, amountPaid: i.amountPaid, localStatus: localInvoices.get(i.id) ?? null }));

    const money = async (table: 'billing_refund' | 'billing_dispute', idColumn: string): Promise<MoneyLine[]> =>
      (
        await q<Record<string, unknown>>(
          `select * from "${table}" where "stripe_created_at" between ? and ? order by "stripe_created_at"`,
          [from, to],
        )
      ).map((r) => ({
        id: r[idColumn] as string,
        orgId: (r.org_id as string | null) ?? null,
        invoiceId: (r.stripe_invoice_id as string | null) ?? null,
        matched: r.stripe_invoice_id !== null && r.org_id !== null,
        status: r.status as string,
        currency: r.currency as string,
        amount: n(r.amount),
      }));
    const refunds = await money('billing_refund', 'stripe_refund_id');
    const disputes = await money('billing_dispute', 'stripe_dispute_id');
    const refundIds = new Set(refunds.map((r) => r.id));
    const disputeIds = new Set(disputes.map((d) => d.id));
    const refundsMissingHere = (await this.api.refundsCreatedBetween(from, to)).filter((r) => !refundIds.has(r.id)).map((r) => r.id);
    const disputesMissingHere = (await this.api.disputesCreatedBetween(from, to)).filter((d) => !disputeIds.has(d.id)).map((d) => d.id);

    const totals = new Map<string, CurrencyTotals>();
    const t = (currency: string) => {
      let row = totals.get(currency);
      if (!row) {
        row = { currency, invoicesPaid: 0, amountPaid: 0, refunds: 0, amountRefunded: 0, disputesLost: 0, amountDisputedLost: 0, net: 0 };
        totals.set(currency, row);
      }
      return row;
    };
    for (const r of await q<{ currency: string; count: number; amount: string }>(
      `select "currency", count(*)::int as "count", coalesce(sum("amount_paid"), 0)::text as "amount" from "billing_invoice"
        where "status" = 'paid' and "paid_at" between ? and ? group by "currency"`,
      [from, to],
    )) {
      t(r.currency).invoicesPaid = r.count;
      t(r.currency).amountPaid = n(r.amount);
    }
    for (const r of refunds.filter((x) => x.status === 'succeeded')) {
      t(r.currency).refunds += 1;
      t(r.currency).amountRefunded += r.amount;
    }
    for (const d of disputes.filter((x) => x.status === 'lost')) {
      t(d.currency).disputesLost += 1;
      t(d.currency).amountDisputedLost += d.amount;
    }
    for (const row of totals.values()) row.net = row.amountPaid - row.amountRefunded - row.amountDisputedLost;

    const report: ReconciliationReport = {
      from: from.toISOString(),
      to: to.toISOString(),
      generatedAt: new Date().toISOString(),
      events: {
        receivedHere: ledger.length,
        listedByStripe: listed.length,
        missingHere: listed.filter((e) => !here.has(e.id)).map((e) => ({ eventId: e.id, type: e.type, created: new Date(e.created * 1000).toISOString() })),
        bySource: count(ledger, 'source'),
        byStatus: count(ledger, 'status'),
      },
      failedEvents: failed.map((r) => ({ eventId: r.stripe_event_id, type: r.type, attempts: r.attempts, lastError: r.last_error })),
      ignoredEvents: ignored.map((r) => ({ type: r.type, count: r.count })),
      unmatchedEvents: unmatched.map((r) => ({ eventId: r.stripe_event_id, type: r.type, customerId: r.stripe_customer_id, note: r.last_error })),
      openDrift,
      driftInPeriod,
      invoicesPaidInStripeNotHere: notHere,
      refunds,
      disputes,
      refundsMissingHere,
      disputesMissingHere,
      totals: [...totals.values()].sort((a, b) => a.currency.localeCompare(b.currency)),
    };
    recordAudit(em, {
      orgId: null,
      actorType: 'operator',
      action: 'billing.report_viewed',
      targetType: 'billing_report',
      targetId: `${report.from}/${report.to}`,
      details: { via: actor },
    });
    await em.flush();
    return report;
  }
}

/** Minor units as a decimal amount with its currency, e.g. 2900 usd → "29.00 USD" (two-decimal currencies). */
function money(amount: number, currency: string): string {
  const zeroDecimal = ['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf'];
  const value = zeroDecimal.includes(currency.toLowerCase()) ? String(amount) : (amount / 100).toFixed(2);
  return `${value} ${currency.toUpperCase()}`;
}

function table(headers: string[], rows: string[][]): string[] {
  if (rows.length === 0) return ['  (none)'];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => '  ' + cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)];
}

/** The report as a person reads it in a terminal. */
export function renderReportTable(r: ReconciliationReport): string {
  const out: string[] = [`Billing reconciliation ${r.from} → ${r.to} (generated ${r.generatedAt})`, ''];
  out.push(`Events: ${r.events.receivedHere} received here, ${r.events.listedByStripe} listed by Stripe, ${r.events.missingHere.length} listed by Stripe but missing here`);
  out.push(`  by source: ${Object.entries(r.events.bySource).map(([k, v]) => `${k} ${v}`).join(', ') || '—'}`);
  out.push(`  by status: ${Object.entries(r.events.byStatus).map(([k, v]) => `${k} ${v}`).join(', ') || '—'}`);
  out.push(...table(['missing event', 'type', 'created'], r.events.missingHere.map((e) => [e.eventId, e.type, e.created])), '');
  out.push('Failed events');
  out.push(...table(['event', 'type', 'attempts', 'last error'], r.failedEvents.map((e) => [e.eventId, e.type, String(e.attempts), e.lastError ?? ''])), '');
  out.push('Ignored events');
  out.push(...table(['type', 'count'], r.ignoredEvents.map((e) => [e.type, String(e.count)])), '');
  out.push('Events for unknown orgs');
  out.push(...table(['event', 'type', 'customer', 'note'], r.unmatchedEvents.map((e) => [e.eventId, e.type, e.customerId ?? '', e.note ?? ''])), '');
  const drift = (d: DriftLine) => [d.at, d.orgId ?? '', d.entity, d.entityId, d.field, d.local ?? '∅', d.stripe ?? '∅', d.action];
  const driftHeaders = ['at', 'org', 'entity', 'id', 'field', 'here', 'Stripe', 'action'];
  out.push('Open drift');
  out.push(...table(driftHeaders, r.openDrift.map(drift)), '');
  out.push('Drift found in the period');
  out.push(...table(driftHeaders, r.driftInPeriod.map(drift)), '');
  out.push('Invoices paid in Stripe but not here');
  out.push(
    ...table(
      ['invoice', 'customer', 'amount paid', 'status here'],
      r.invoicesPaidInStripeNotHere.map((i) => [i.invoiceId, i.customerId, money(i.amountPaid, i.currency), i.localStatus ?? 'missing']),
    ),
    '',
  );
  const moneyRow = (m: MoneyLine) => [m.id, m.orgId ?? '', m.invoiceId ?? '', m.matched ? 'matched' : 'UNMATCHED', m.status, money(m.amount, m.currency)];
  out.push('Refunds');
  out.push(...table(['refund', 'org', 'invoice', 'match', 'status', 'amount'], r.refunds.map(moneyRow)));
  if (r.refundsMissingHere.length > 0) out.push(`  listed by Stripe but missing here: ${r.refundsMissingHere.join(', ')}`);
  out.push('', 'Disputes');
  out.push(...table(['dispute', 'org', 'invoice', 'match', 'status', 'amount'], r.disputes.map(moneyRow)));
  if (r.disputesMissingHere.length > 0) out.push(`  listed by Stripe but missing here: ${r.disputesMissingHere.join(', ')}`);
  out.push('', 'Totals per currency');
  out.push(
    ...table(
      ['currency', 'invoices paid', 'paid', 'refunds', 'refunded', 'disputes lost', 'lost', 'net'],
      r.totals.map((t) => [
        t.currency.toUpperCase(),
        String(t.invoicesPaid),
        money(t.amountPaid, t.currency),
        String(t.refunds),
        money(t.amountRefunded, t.currency),
        String(t.disputesLost),
        money(t.amountDisputedLost, t.currency),
        money(t.net, t.currency),
      ]),
    ),
  );
  return out.join('\n') + '\n';
}

function csvCell(value: string | number | null): string {
  const s = value === null ? '' : String(value);
  // Quote, and keep a spreadsheet from reading a text cell as a formula (amounts stay numbers).
  const safe = typeof value === 'string' && /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) || safe !== s ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One row per item: section, id, type, status, currency, amount (minor units), detail. */
export function renderReportCsv(r: ReconciliationReport): string {
  const rows: (string | number | null)[][] = [['section', 'id', 'type', 'status', 'currency', 'amount_minor', 'detail']];
  rows.push(['summary', 'events_received_here', null, null, null, r.events.receivedHere, `${r.from}/${r.to}`]);
  rows.push(['summary', 'events_listed_by_stripe', null, null, null, r.events.listedByStripe, `${r.from}/${r.to}`]);
  for (const e of r.events.missingHere) rows.push(['event_missing_here', e.eventId, e.type, null, null, null, e.created]);
  for (const e of r.failedEvents) rows.push(['event_failed', e.eventId, e.type, 'failed', null, null, e.lastError]);
  for (const e of r.ignoredEvents) rows.push(['events_ignored', null, e.type, 'ignored', null, e.count, null]);
  for (const e of r.unmatchedEvents) rows.push(['event_unknown_org', e.eventId, e.type, 'unmatched', null, null, e.customerId]);
  for (const d of r.openDrift) rows.push(['drift_open', d.entityId, d.entity, d.action, null, null, `${d.field}: ${d.local ?? ''} → ${d.stripe ?? ''}`]);
  for (const d of r.driftInPeriod) rows.push(['drift_in_period', d.entityId, d.entity, d.action, null, null, `${d.field}: ${d.local ?? ''} → ${d.stripe ?? ''}`]);
  for (const i of r.invoicesPaidInStripeNotHere) rows.push(['invoice_paid_in_stripe_not_here', i.invoiceId, 'invoice', i.localStatus ?? 'missing', i.currency, i.amountPaid, i.customerId]);
  for (const m of r.refunds) rows.push(['refund', m.id, m.matched ? 'matched' : 'unmatched', m.status, m.currency, m.amount, m.invoiceId]);
  for (const id of r.refundsMissingHere) rows.push(['refund_missing_here', id, null, null, null, null, null]);
  for (const m of r.disputes) rows.push(['dispute', m.id, m.matched ? 'matched' : 'unmatched', m.status, m.currency, m.amount, m.invoiceId]);
  for (const id of r.disputesMissingHere) rows.push(['dispute_missing_here', id, null, null, null, null, null]);
  for (const t of r.totals) {
    rows.push(['total', 'invoices_paid', null, null, t.currency, t.amountPaid, String(t.invoicesPaid)]);
    rows.push(['total', 'refunded', null, null, t.currency, t.amountRefunded, String(t.refunds)]);
    rows.push(['total', 'disputes_lost', null, null, t.currency, t.amountDisputedLost, String(t.disputesLost)]);
    rows.push(['total', 'net', null, null, t.currency, t.net, null]);
  }
  return rows.map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
}
