import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isOptionalCategory, OPTIONAL_EMAIL_CATEGORIES, type OptionalEmailCategory } from '@sessionpix/contracts';
import type { EmailSuppressionReason } from './entities/email-suppression.entity';

/**
 * E-mail preferences (P15) and the suppression list, shared by the gateway (which changes them:
 * the preferences API, one-click unsubscribe, SES bounce and complaint events) and the
 * notifications service (which checks them before every send).
 */

/** The key under which an address is suppressed: SHA-256 of the trimmed, lower-cased address. */
export function emailAddressHash(address: string): string {
  return createHash('sha256').update(address.trim().toLowerCase()).digest('hex');
}

/** The optional categories a user opted out of (none when they never said). */
export async function optedOutCategories(em: EntityManager, userId: string): Promise<OptionalEmailCategory[]> {
  const rows = await em.execute<{ opted_out: string[] }[]>(
    `select "opted_out" from "email_preference" where "user_id" = ?`,
    [userId],
    'all',
  );
  return (rows[0]?.opted_out ?? []).filter(isOptionalCategory);
}

/**
 * Sets some optional categories on (true) or off (false) for a user, leaving the others as they
 * were; returns what the user is now opted out of. Essential categories are not settable.
 */
export async function setEmailPreferences(
  em: EntityManager,
  userId: string,
  subscribed: Partial<Record<OptionalEmailCategory, boolean>>,
): Promise<OptionalEmailCategory[]> {
  const off = OPTIONAL_EMAIL_CATEGORIES.filter((c) => subscribed[c] === false);
  const on = OPTIONAL_EMAIL_CATEGORIES.filter((c) => subscribed[c] === true);
  const now = new Date();
  // One statement: concurrent changes to different categories of one user both survive.
  const rows = await em.execute<{ opted_out: string[] }[]>(
    `insert into "email_preference" ("user_id", "created_at", "updated_at", "opted_out")
     values (?, ?, ?, ?::text[])
     on conflict ("user_id") do update set
       "opted_out" = array(
         select distinct c from unnest("email_preference"."opted_out" || excluded."opted_out") as c
         where c <> all(?::text[]) order by c
       ),
       "updated_at" = excluded."updated_at"
     returning "opted_out"`,
    [userId, now, now, toPgArray(off), toPgArray(on)],
    'all',
  );
  return (rows[0]?.opted_out ?? []).filter(isOptionalCategory);
}

function toPgArray(values: readonly string[]): string {
  // Category names are [a-z_] only, so no quoting is needed.
  return `{${values.join(',')}}`;
}

/** Adds an address to the suppression list (or notes another event for it). */
export async function suppressEmailAddress(
  em: EntityManager,
  entry: { address: string; reason: EmailSuppressionReason; detail?: string | null; sourceMessageId?: string | null },
): Promise<void> {
  const now = new Date();
  await em.execute(
    `insert into "email_suppression" ("address_hash", "created_at", "updated_at", "reason", "detail", "source_message_id", "events")
     values (?, ?, ?, ?, ?, ?, 1)
     on conflict ("address_hash") do update set
       "events" = "email_suppression"."events" + 1,
       "updated_at" = excluded."updated_at",
       -- A complaint is the stronger statement; it is what the row then says.
       "reason" = case when excluded."reason" = 'complaint' then 'complaint' else "email_suppression"."reason" end,
       "detail" = coalesce(excluded."detail", "email_suppression"."detail"),
       "source_message_id" = coalesce(excluded."source_message_id", "email_suppression"."source_message_id")`,
    [
      emailAddressHash(entry.address),
      now,
      now,
      entry.reason,
      entry.detail?.slice(0, 200) ?? null,
      entry.sourceMessageId?.slice(0, 200) ?? null,
    ],
    'run',
  );
}

/** Why an address is suppressed, or null when it may be mailed. */
export async function emailSuppressionOf(em: EntityManager, address: string): Promise<EmailSuppressionReason | null> {
  const rows = await em.execute<{ reason: EmailSuppressionReason }[]>(
    `select "reason" from "email_suppression" where "address_hash" = ?`,
    [emailAddressHash(address)],
    'all',
  );
  return rows[0]?.reason ?? null;
}

const TOKEN_VERSION = 'u1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function tokenSignature(secret: string, body: string): Buffer {
  return createHmac('sha256', secret).update(`sessionpix-unsubscribe:${body}`).digest();
}

/**
 * The token of a one-click unsubscribe link (P15): the user and the category, signed with
 * HMAC-SHA256 under EMAIL_UNSUBSCRIBE_SECRET. It never expires (a link in an old e-mail must
 * still work) and can do one thing only: turn that category off for that user.
 */
export function signUnsubscribeToken(secret: string, userId: string, category: OptionalEmailCategory): string {
  const body = `${TOKEN_VERSION}.${userId}.${category}`;
  return `${body}.${tokenSignature(secret, body).toString('base64url')}`;
}

export function verifyUnsubscribeToken(
  secret: string,
  token: string,
): { userId: string; category: OptionalEmailCategory } | null {
  const parts = token.split('.');
  if (parts.length !== 4) return null;
  const [version, userId, category, signature] = parts;
  if (version !== TOKEN_VERSION || !UUID.test(userId) || !isOptionalCategory(category)) return null;
  const expected = tokenSignature(secret, `${version}.${userId}.${category}`);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return { userId, category };
}
