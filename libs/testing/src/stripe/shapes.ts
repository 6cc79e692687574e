import { randomBytes } from 'node:crypto';

/**
 * Stripe objects as the fake serves them, field for field in the shape of Stripe's own examples
 * (the API resources in stripe/openapi's fixtures3.json): every field a real object has is
 * present, including the personal data a real customer, charge or payment method carries
 * (name, address, phone, billing details), so that tests prove that none of it is kept (P5).
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function stripeId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALNUM[b % ALNUM.length];
  return `${prefix}_${out}`;
}

export interface Address {
  city: string | null;
  country: string | null;
  line1: string | null;
  line2: string | null;
  postal_code: string | null;
  state: string | null;
}

export const EMPTY_ADDRESS: Address = { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };

export interface Card {
  brand: string;
  last4: string;
  exp_month?: number;
  exp_year?: number;
  country?: string;
}

export function customerShape(id: string, created: number, fields: Obj = {}): Obj {
  return {
    address: { ...EMPTY_ADDRESS },
    balance: 0,
    created,
    currency: 'usd',
    default_source: null,
    delinquent: false,
    description: null,
    discount: null,
    email: null,
    id,
    invoice_prefix: randomBytes(4).toString('hex').toUpperCase().slice(0, 7),
    invoice_settings: {
      custom_fields: null,
      default_payment_method: null,
      footer: null,
      rendering_options: { amount_tax_display: null, template: null },
    },
    livemode: false,
    metadata: {},
    name: null,
    next_invoice_sequence: 1,
    object: 'customer',
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
    ...fields,
  };
}

export function paymentMethodShape(id: string, created: number, customer: string | null, card: Card, billing: Obj = {}): Obj {
  return {
    allow_redisplay: 'unspecified',
    billing_details: {
      address: { ...EMPTY_ADDRESS, ...(billing.address ?? {}) },
      email: billing.email ?? null,
      name: billing.name ?? null,
      phone: billing.phone ?? null,
      tax_id: null,
    },
    card: {
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: card.country ?? 'US',
      display_brand: card.brand,
      exp_month: card.exp_month ?? 8,
      exp_year: card.exp_year ?? 2031,
      fingerprint: randomBytes(8).toString('hex'),
      funding: 'credit',
      generated_from: null,
      last4: card.last4,
      networks: { available: [card.brand], preferred: null },
      three_d_secure_usage: { supported: true },
      wallet: null,
      regulated_status: null,
    },
    created,
    customer,
    id,
    livemode: false,
    metadata: {},
    object: 'payment_method',
    type: 'card',
    customer_account: null,
  };
}

export interface PriceSeed {
  lookupKey: string;
  unitAmount: number;
  currency?: string;
  interval?: 'month' | 'year';
}

export function priceShape(id: string, created: number, seed: PriceSeed): Obj {
  return {
    active: true,
    billing_scheme: 'per_unit',
    created,
    currency: seed.currency ?? 'usd',
    custom_unit_amount: null,
    id,
    livemode: false,
    lookup_key: seed.lookupKey,
    metadata: {},
    nickname: null,
    object: 'price',
    product: stripeId('prod', 14),
    recurring: { interval: seed.interval ?? 'month', interval_count: 1, meter: null, usage_type: 'licensed', trial_period_days: null },
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: 'recurring',
    unit_amount: seed.unitAmount,
    unit_amount_decimal: String(seed.unitAmount),
  };
}

export function subscriptionItemShape(subscription: string, created: number, price: Obj, periodStart: number, periodEnd: number): Obj {
  return {
    created,
    discounts: [],
    id: stripeId('si', 14),
    metadata: {},
    object: 'subscription_item',
    price: structuredClone(price),
    quantity: 1,
    subscription,
    tax_rates: [],
    current_period_end: periodEnd,
    current_period_start: periodStart,
    billing_thresholds: null,
  };
}

export function subscriptionShape(id: string, created: number, customer: string, item: Obj, fields: Obj = {}): Obj {
  return {
    application: null,
    application_fee_percent: null,
    automatic_tax: { enabled: false, liability: null, disabled_reason: null },
    billing_cycle_anchor: created,
    billing_cycle_anchor_config: null,
    cancel_at: null,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, reason: null },
    collection_method: 'charge_automatically',
    created,
    currency: item.price.currency,
    customer,
    days_until_due: null,
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    ended_at: null,
    id,
    invoice_settings: { account_tax_ids: null, issuer: { type: 'self' }, custom_fields: null, description: null, footer: null },
    items: { data: [item], has_more: false, object: 'list', url: `/v1/subscription_items?subscription=${id}` },
    latest_invoice: null,
    livemode: false,
    metadata: {},
    next_pending_invoice_item_invoice: null,
    object: 'subscription',
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: created,
    status: 'active',
    test_clock: null,
    transfer_data: null,
    trial_end: null,
    trial_settings: { end_behavior: { missing_payment_method: 'create_invoice' } },
    trial_start: null,
    cancel_at_period_end: false,
    billing_thresholds: null,
    billing_mode: { type: 'classic' },
    customer_account: null,
    managed_payments: { enabled: false },
    billing_schedules: [],
    ...fields,
  };
}

export function invoiceShape(id: string, created: number, customer: Obj, fields: Obj & { amount: number; currency: string; subscription: string | null; periodStart: number; periodEnd: number; billingReason: string; price?: Obj | null }): Obj {
  const { amount, currency, subscription, periodStart, periodEnd, billingReason, price, ...rest } = fields;
  return {
    account_country: 'US',
    account_name: 'sessionpix',
    account_tax_ids: null,
    amount_due: amount,
    amount_paid: 0,
    amount_remaining: amount,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: true,
    automatic_tax: { enabled: false, liability: null, status: null, disabled_reason: null, provider: null },
    billing_reason: billingReason,
    collection_method: 'charge_automatically',
    created,
    currency,
    custom_fields: null,
    customer: customer.id,
    customer_address: customer.address ? structuredClone(customer.address) : null,
    customer_email: customer.email ?? null,
    customer_name: customer.name ?? null,
    customer_phone: customer.phone ?? null,
    customer_shipping: customer.shipping ?? null,
    customer_tax_exempt: 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: null,
    effective_at: null,
    ending_balance: null,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: null,
    id,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: {
      data: [
        {
          amount,
          currency,
          description: price ? `1 × ${price.lookup_key}` : 'sessionpix',
          discount_amounts: [],
          discountable: true,
          discounts: [],
          id: stripeId('il', 24),
          invoice: id,
          livemode: false,
          metadata: {},
          object: 'line_item',
          period: { end: periodEnd, start: periodStart },
          quantity: 1,
          subscription,
          pretax_credit_amounts: [],
          taxes: [],
          parent: subscription
            ? {
                invoice_item_details: null,
                subscription_item_details: { invoice_item: null, proration: false, proration_details: null, subscription, subscription_item: null },
                type: 'subscription_item_details',
              }
            : null,
          pricing: { type: 'price_details', price_details: price ? { price: price.id, product: price.product } : null, unit_amount_decimal: String(amount) },
          subtotal: amount,
          quantity_decimal: '1',
        },
      ],
      has_more: false,
      object: 'list',
      url: `/v1/invoices/${id}/lines`,
    },
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: null,
    object: 'invoice',
    on_behalf_of: null,
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: periodEnd,
    period_start: periodStart,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subscription,
    subtotal: amount,
    subtotal_excluding_tax: amount,
    test_clock: null,
    total: amount,
    total_discount_amounts: [],
    total_excluding_tax: amount,
    webhooks_delivered_at: null,
    automatically_finalizes_at: null,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    amount_overpaid: 0,
    parent: subscription
      ? { quote_details: null, subscription_details: { metadata: {}, subscription }, type: 'subscription_details' }
      : null,
    customer_account: null,
    ...rest,
  };
}

export function invoicePaymentShape(invoice: Obj, paymentIntent: string, created: number, paid: boolean): Obj {
  return {
    amount_paid: paid ? invoice.amount_due : null,
    amount_requested: invoice.amount_due,
    created,
    currency: invoice.currency,
    id: stripeId('inpay', 24),
    invoice: invoice.id,
    is_default: true,
    livemode: false,
    object: 'invoice_payment',
    payment: { type: 'payment_intent', payment_intent: paymentIntent },
    status: paid ? 'paid' : 'open',
    status_transitions: { canceled_at: null, paid_at: paid ? created : null },
  };
}

export function chargeShape(id: string, created: number, fields: { amount: number; currency: string; customer: Obj; paymentIntent: string; paymentMethod: Obj; paid: boolean }): Obj {
  const pm = fields.paymentMethod;
  return {
    amount: fields.amount,
    amount_captured: fields.paid ? fields.amount : 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: fields.paid ? stripeId('txn', 24) : null,
    billing_details: structuredClone(pm.billing_details),
    calculated_statement_descriptor: 'SESSIONPIX',
    captured: fields.paid,
    created,
    currency: fields.currency,
    customer: fields.customer.id,
    description: 'Subscription update',
    disputed: false,
    failure_balance_transaction: null,
    failure_code: fields.paid ? null : 'card_declined',
    failure_message: fields.paid ? null : 'Your card was declined.',
    fraud_details: {},
    id,
    livemode: false,
    metadata: {},
    object: 'charge',
    on_behalf_of: null,
    outcome: {
      advice_code: null,
      network_advice_code: null,
      network_decline_code: null,
      network_status: fields.paid ? 'approved_by_network' : 'declined_by_network',
      reason: fields.paid ? null : 'generic_decline',
      seller_message: fields.paid ? 'Payment complete.' : 'The bank did not return any further details with this decline.',
      type: fields.paid ? 'authorized' : 'issuer_declined',
    },
    paid: fields.paid,
    payment_intent: fields.paymentIntent,
    payment_method: pm.id,
    payment_method_details: {
      card: {
        amount_authorized: fields.paid ? fields.amount : null,
        brand: pm.card.brand,
        checks: structuredClone(pm.card.checks),
        country: pm.card.country,
        exp_month: pm.card.exp_month,
        exp_year: pm.card.exp_year,
        fingerprint: pm.card.fingerprint,
        funding: pm.card.funding,
        last4: pm.card.last4,
        network: pm.card.brand,
        three_d_secure: null,
        wallet: null,
      },
      type: 'card',
    },
    receipt_email: fields.customer.email ?? null,
    receipt_number: null,
    receipt_url: `https://pay.stripe.com/receipts/payment/${randomBytes(24).toString('base64url')}`,
    refunded: false,
    refunds: { data: [], has_more: false, object: 'list', url: `/v1/charges/${id}/refunds` },
    review: null,
    shipping: fields.customer.shipping ?? null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: fields.paid ? 'succeeded' : 'failed',
    transfer_data: null,
    transfer_group: null,
  };
}

export function refundShape(id: string, created: number, charge: Obj, amount: number, reason: string | null): Obj {
  return {
    amount,
    balance_transaction: stripeId('txn', 24),
    charge: charge.id,
    created,
    currency: charge.currency,
    destination_details: { card: { reference: null, reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' }, type: 'card' },
    id,
    metadata: {},
    object: 'refund',
    payment_intent: charge.payment_intent,
    reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
    customer: charge.customer,
    customer_account: null,
    payment_method: charge.payment_method,
  };
}

export function disputeShape(id: string, created: number, charge: Obj, reason: string): Obj {
  return {
    amount: charge.amount,
    balance_transactions: [],
    charge: charge.id,
    created,
    currency: charge.currency,
    evidence: {
      access_activity_log: null,
      billing_address: null,
      cancellation_policy: null,
      cancellation_policy_disclosure: null,
      cancellation_rebuttal: null,
      customer_communication: null,
      customer_email_address: charge.billing_details?.email ?? null,
      customer_name: charge.billing_details?.name ?? null,
      customer_purchase_ip: null,
      customer_signature: null,
      duplicate_charge_documentation: null,
      duplicate_charge_explanation: null,
      duplicate_charge_id: null,
      product_description: null,
      receipt: null,
      refund_policy: null,
      refund_policy_disclosure: null,
      refund_refusal_explanation: null,
      service_date: null,
      service_documentation: null,
      shipping_address: null,
      shipping_carrier: null,
      shipping_date: null,
      shipping_documentation: null,
      shipping_tracking_number: null,
      uncategorized_file: null,
      uncategorized_text: null,
      enhanced_evidence: {},
    },
    evidence_details: { due_by: created + 7 * 86400, has_evidence: false, past_due: false, submission_count: 0, enhanced_eligibility: {} },
    id,
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
    object: 'dispute',
    payment_intent: charge.payment_intent,
    payment_method_details: { card: { brand: charge.payment_method_details.card.brand, case_type: 'chargeback', network_reason_code: '10.4' }, type: 'card' },
    reason,
    status: 'needs_response',
    enhanced_eligibility_types: [],
  };
}

export function checkoutSessionShape(id: string, created: number, fields: Obj): Obj {
  return {
    adaptive_pricing: { enabled: false },
    after_expiration: null,
    allow_promotion_codes: null,
    amount_subtotal: fields.amount ?? null,
    amount_total: fields.amount ?? null,
    automatic_tax: { enabled: false, liability: null, status: null, provider: null },
    billing_address_collection: null,
    cancel_url: fields.cancel_url ?? null,
    client_reference_id: fields.client_reference_id ?? null,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created,
    currency: fields.currency ?? null,
    currency_conversion: null,
    custom_fields: [],
    custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    customer: fields.customer ?? null,
    customer_account: null,
    customer_creation: fields.customer ? null : 'always',
    customer_details: null,
    customer_email: fields.customer_email ?? null,
    discounts: [],
    expires_at: created + 24 * 3600,
    id,
    integration_identifier: null,
    invoice: null,
    invoice_creation: null,
    livemode: false,
    locale: null,
    managed_payments: { enabled: false },
    metadata: fields.metadata ?? {},
    mode: fields.mode,
    object: 'checkout.session',
    origin_context: null,
    payment_intent: null,
    payment_link: null,
    payment_method_collection: 'always',
    payment_method_configuration_details: null,
    payment_method_options: {},
    payment_method_types: ['card'],
    payment_status: 'unpaid',
    permissions: null,
    phone_number_collection: { enabled: false },
    recovered_from: null,
    saved_payment_method_options: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: 'open',
    submit_type: null,
    subscription: null,
    success_url: fields.success_url ?? null,
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted',
    url: fields.url,
    wallet_options: null,
  };
}

export function portalSessionShape(id: string, created: number, customer: string, returnUrl: string | null, url: string): Obj {
  return {
    configuration: stripeId('bpc', 24),
    created,
    customer,
    customer_account: null,
    flow: null,
    id,
    livemode: false,
    locale: null,
    object: 'billing_portal.session',
    on_behalf_of: null,
    return_url: returnUrl,
    url,
  };
}

export function eventShape(id: string, created: number, type: string, object: Obj, apiVersion: string, previous?: Obj): Obj {
  return {
    api_version: apiVersion,
    created,
    data: previous ? { object: structuredClone(object), previous_attributes: previous } : { object: structuredClone(object) },
    id,
    livemode: false,
    object: 'event',
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}
