import { Migration } from '@mikro-orm/migrations';

/**
 * Recall-grade vision: the equipment catalog (product knowledge shared by every org; its seed
 * rows are written by the seed step `db:migrate` runs after the migrations), the per-org cache of
 * validated model answers, and what each pass worked with besides the photo (`analysis.details`:
 * pass 1's catalog matches, pass 2's image labels). Additive only: the previous
 * release keeps working while this one rolls out.
 */
export class Migration20261127000005RecallGradeVision extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create table "equipment_catalog" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "slug" text not null constraint "equipment_catalog_slug_unique" unique,
  "brand" text not null,
  "model" text not null,
  "aliases" jsonb not null default '[]',
  "category" text not null,
  "layout" jsonb null,
  "source" text not null default 'operator' check ("source" in ('seed', 'operator'))
);

create table "vision_result_cache" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "org_id" uuid not null references "organization" ("id") on update cascade,
  "item_id" uuid not null references "item" ("id") on update cascade on delete cascade,
  "image_sha256" text not null,
  "pass" smallint not null check ("pass" in (1, 2)),
  "prompt_version" text not null,
  "model" text not null,
  "input_sha256" text not null,
  "schema_version" text not null,
  "output" jsonb not null,
  constraint "vision_result_cache_key_unique"
    unique ("org_id", "image_sha256", "pass", "prompt_version", "model", "input_sha256")
);
create index "vision_result_cache_item_id_index" on "vision_result_cache" ("item_id");

alter table "analysis" add column "details" jsonb null;
`);
  }
}
