import { Migration } from '@mikro-orm/migrations';

/** Organizations, API keys, collections, items, analyses and model calls. */
export class Migration20261127000001InitialSchema extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table "organization" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "name" text not null,
  "deleted_at" timestamptz null
);

create table "api_key" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "org_id" uuid not null references "organization" ("id") on update cascade,
  "key_id" text not null constraint "api_key_key_id_unique" unique,
  "secret_hash" text not null,
  "label" text not null,
  "last_used_at" timestamptz null,
  "revoked_at" timestamptz null
);
create index "api_key_org_id_index" on "api_key" ("org_id");

create table "collection" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "org_id" uuid not null references "organization" ("id") on update cascade,
  "name" text not null,
  "deleted_at" timestamptz null
);
create index "collection_org_id_id_index" on "collection" ("org_id", "id");

create table "item" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "org_id" uuid not null references "organization" ("id") on update cascade,
  "collection_id" uuid not null references "collection" ("id") on update cascade,
  "status" text not null default 'uploaded'
    check ("status" in ('uploaded', 'ingested', 'identified', 'analyzed', 'paused', 'failed', 'rejected')),
  "reason_code" text null,
  "reason" text null,
  "retryable" boolean not null default false,
  "run" int not null default 0,
  "status_changed_at" timestamptz not null,
  "sha256" text null,
  "source_item_id" uuid null references "item" ("id") on update cascade on delete set null,
  "content_type" text null,
  "byte_size" bigint null,
  "width" int null,
  "height" int null,
  "deleted_at" timestamptz null
);
create index "item_org_id_collection_id_id_index" on "item" ("org_id", "collection_id", "id");
create index "item_org_id_sha256_index" on "item" ("org_id", "sha256");
create index "item_status_status_changed_at_index" on "item" ("status", "status_changed_at");

create table "analysis" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "org_id" uuid not null references "organization" ("id") on update cascade,
  "item_id" uuid not null references "item" ("id") on update cascade on delete cascade,
  "pass" smallint not null check ("pass" in (1, 2)),
  "schema_version" text not null,
  "model" text not null,
  "prompt_version" text not null,
  "output" jsonb not null,
  "source_item_id" uuid null references "item" ("id") on update cascade on delete set null,
  constraint "analysis_item_id_pass_unique" unique ("item_id", "pass")
);
create index "analysis_org_id_index" on "analysis" ("org_id");

create table "model_call" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "org_id" uuid not null references "organization" ("id") on update cascade,
  "item_id" uuid not null references "item" ("id") on update cascade on delete cascade,
  "pass" smallint not null check ("pass" in (1, 2)),
  "attempt" int not null,
  "model" text not null,
  "outcome" text not null,
  "error_message" text null,
  "input_tokens" int not null default 0,
  "output_tokens" int not null default 0,
  "cache_read_tokens" int not null default 0,
  "cache_write_tokens" int not null default 0,
  "latency_ms" int not null,
  "cost_micro_usd" bigint not null default 0,
  "price_table_version" text null
);
create index "model_call_item_id_index" on "model_call" ("item_id");
create index "model_call_org_id_created_at_index" on "model_call" ("org_id", "created_at");
`);
  }
}
