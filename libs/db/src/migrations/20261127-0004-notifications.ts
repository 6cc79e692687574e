import { Migration } from '@mikro-orm/migrations';

/**
 * Notifications: the outbox learns `in_doubt` and `rejected` (and why a row ended as it did),
 * the legal and activity categories, and which broadcast wrote a row; e-mail preferences (P15),
 * the suppression list (bounces and complaints, kept as address hashes) and broadcasts (P22).
 * Additive only: the previous release never writes the new values and keeps working.
 */
export class Migration20261127000004Notifications extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table "email_broadcast" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "template_id" text not null,
  "data" jsonb not null,
  "dedupe_key" text not null constraint "email_broadcast_dedupe_key_unique" unique,
  "status" text not null check ("status" in ('running', 'paused', 'completed', 'cancelled')),
  "run" int not null default 0,
  "cursor" uuid null,
  "exhausted" boolean not null default false,
  "targets" int not null,
  "rows_written" int not null default 0,
  "completed_at" timestamptz null
);

alter table "email_outbox" drop constraint "email_outbox_status_check";
alter table "email_outbox" add constraint "email_outbox_status_check"
  check ("status" in ('pending', 'sending', 'sent', 'failed', 'suppressed', 'rejected', 'in_doubt'));
alter table "email_outbox" drop constraint "email_outbox_category_check";
alter table "email_outbox" add constraint "email_outbox_category_check"
  check ("category" in ('account', 'security', 'billing', 'legal', 'activity', 'announcement'));
alter table "email_outbox" add column "outcome" text null;
alter table "email_outbox" add column "broadcast_id" uuid null
  references "email_broadcast" ("id") on update cascade on delete set null;
create index "email_outbox_broadcast_id_status_index" on "email_outbox" ("broadcast_id", "status")
  where "broadcast_id" is not null;
-- Operators list in-doubt rows; the sweeper looks for rows stuck in pending or sending.
create index "email_outbox_open_index" on "email_outbox" ("status", "updated_at")
  where "status" in ('pending', 'sending', 'in_doubt');

-- P15: opt-outs of optional categories, per user. Essential mail ignores them.
create table "email_preference" (
  "user_id" uuid not null primary key references "user_account" ("id") on update cascade on delete cascade,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "opted_out" text[] not null default '{}'
);

-- Hard bounces and complaints: never mailed again. Only a SHA-256 of the lower-cased address
-- is kept, which is enough to check a recipient and outlives no one's account in the clear.
create table "email_suppression" (
  "address_hash" text not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "reason" text not null check ("reason" in ('bounce', 'complaint', 'manual')),
  "detail" text null,
  "source_message_id" text null,
  "events" int not null default 1
);
`);
  }
}
