import { Migration } from '@mikro-orm/migrations';

/**
 * Accounts, memberships and roles, sessions and single-use tokens, invitations, role-scoped API
 * keys, the append-only audit log, the e-mail outbox, and the usage log with its per-day
 * aggregate and retention reports. Additive only: the previous release keeps working.
 */
export class Migration20261127000003Accounts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table "user_account" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "email" text not null constraint "user_account_email_unique" unique,
  "name" text not null,
  "password_hash" text null,
  "cognito_sub" text null constraint "user_account_cognito_sub_unique" unique,
  "email_verified_at" timestamptz null,
  "last_sign_in_at" timestamptz null,
  "password_changed_at" timestamptz null,
  "deleted_at" timestamptz null,
  constraint "user_account_email_normalised" check ("email" = lower(btrim("email")))
);

create table "membership" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "org_id" uuid not null references "organization" ("id") on update cascade,
  "user_id" uuid not null references "user_account" ("id") on update cascade on delete cascade,
  "role" text not null check ("role" in ('viewer', 'member', 'admin', 'owner')),
  constraint "membership_org_id_user_id_unique" unique ("org_id", "user_id")
);
create index "membership_user_id_index" on "membership" ("user_id");

create table "invitation" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "org_id" uuid not null references "organization" ("id") on update cascade,
  "email" text not null,
  "role" text not null check ("role" in ('viewer', 'member', 'admin', 'owner')),
  "secret_hash" text not null,
  "expires_at" timestamptz not null,
  "invited_by_id" uuid null references "user_account" ("id") on update cascade on delete set null,
  "accepted_at" timestamptz null,
  "accepted_by_id" uuid null references "user_account" ("id") on update cascade on delete set null,
  "revoked_at" timestamptz null
);
create index "invitation_org_id_email_index" on "invitation" ("org_id", "email");

create table "auth_session" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "user_id" uuid not null references "user_account" ("id") on update cascade on delete cascade,
  "expires_at" timestamptz not null,
  "revoked_at" timestamptz null,
  "revoke_reason" text null,
  "last_used_at" timestamptz null,
  "device" text not null
);
create index "auth_session_user_id_index" on "auth_session" ("user_id");

create table "refresh_token" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "session_id" uuid not null references "auth_session" ("id") on update cascade on delete cascade,
  "secret_hash" text not null,
  "expires_at" timestamptz not null,
  "used_at" timestamptz null
);
create index "refresh_token_session_id_index" on "refresh_token" ("session_id");

create table "user_token" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "user_id" uuid not null references "user_account" ("id") on update cascade on delete cascade,
  "purpose" text not null check ("purpose" in ('confirm_email', 'password_reset')),
  "email" text not null,
  "secret_hash" text not null,
  "expires_at" timestamptz not null,
  "used_at" timestamptz null
);
create index "user_token_user_id_purpose_index" on "user_token" ("user_id", "purpose");

create table "user_device" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "user_id" uuid not null references "user_account" ("id") on update cascade on delete cascade,
  "fingerprint" text not null,
  "label" text not null,
  "last_seen_at" timestamptz not null,
  constraint "user_device_user_id_fingerprint_unique" unique ("user_id", "fingerprint")
);

alter table "api_key" add column "role" text not null default 'member'
  check ("role" in ('viewer', 'member', 'admin'));

-- P21: append-only. No foreign key on org_id: the record outlives the org.
create table "audit_log" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "org_id" uuid null,
  "actor_type" text not null check ("actor_type" in ('user', 'api_key', 'operator', 'anonymous')),
  "actor_id" uuid null,
  "action" text not null,
  "target_type" text null,
  "target_id" text null,
  "ip" text null,
  "user_agent" text null,
  "details" jsonb null
);
create index "audit_log_org_id_id_index" on "audit_log" ("org_id", "id");
create index "audit_log_org_id_action_id_index" on "audit_log" ("org_id", "action", "id");

create function "audit_log_refuse_change"() returns trigger language plpgsql as $$
begin
  raise exception 'audit_log is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
end;
$$;
create trigger "audit_log_no_update_or_delete" before update or delete on "audit_log"
  for each row execute function "audit_log_refuse_change"();
create trigger "audit_log_no_truncate" before truncate on "audit_log"
  for each statement execute function "audit_log_refuse_change"();

create table "email_outbox" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "template_id" text not null,
  "recipient" text not null,
  "data" jsonb not null,
  "dedupe_key" text not null constraint "email_outbox_dedupe_key_unique" unique,
  "category" text not null check ("category" in ('account', 'security', 'billing', 'announcement')),
  "status" text not null default 'pending' check ("status" in ('pending', 'sending', 'sent', 'failed', 'suppressed')),
  "attempts" int not null default 0,
  "last_error" text null,
  "sent_at" timestamptz null,
  "provider_message_id" text null
);
create index "email_outbox_status_created_at_index" on "email_outbox" ("status", "created_at");

-- P6: raw usage, deleted after 90 days; P8: the per-day counts that remain.
create table "usage_event" (
  "id" uuid not null primary key,
  "occurred_at" timestamptz not null,
  "org_id" uuid null,
  "user_id" uuid null,
  "api_key_id" uuid null,
  "ip" text not null,
  "device_type" text not null,
  "os" text not null,
  "app_version" text null,
  "feature" text not null,
  "status" smallint not null,
  "aggregated_at" timestamptz null
);
create index "usage_event_occurred_at_index" on "usage_event" ("occurred_at");
create index "usage_event_user_id_index" on "usage_event" ("user_id");
create index "usage_event_unaggregated_index" on "usage_event" ("occurred_at") where "aggregated_at" is null;

create table "feature_usage_daily" (
  "day" date not null,
  "feature" text not null,
  "count" bigint not null,
  constraint "feature_usage_daily_pkey" primary key ("day", "feature")
);

create table "retention_run" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "task" text not null,
  "cutoff" timestamptz not null,
  "rows_removed" int not null,
  "rows_aggregated" int not null
);
create index "retention_run_task_created_at_index" on "retention_run" ("task", "created_at");
`);
  }
}
