import { Migration } from '@mikro-orm/migrations';

/** Presigned uploads, the purge log, and the client's file name on items. */
export class Migration20261127000002UploadsAndPurge extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
alter table "item" add column "original_filename" text null;

create table "pending_upload" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "org_id" uuid not null references "organization" ("id") on update cascade,
  "collection_id" uuid not null references "collection" ("id") on update cascade,
  "item_id" uuid not null unique,
  "content_type" text not null,
  "content_length" bigint not null,
  "filename" text null,
  "expires_at" timestamptz not null,
  "completed_at" timestamptz null
);
create index "pending_upload_org_id_index" on "pending_upload" ("org_id");

create table "purge_record" (
  "id" uuid not null primary key,
  "created_at" timestamptz not null,
  "updated_at" timestamptz not null,
  "org_id" uuid not null,
  "subject" text not null,
  "subject_id" uuid not null,
  "objects_removed" int not null,
  "rows_removed" int not null
);
create index "purge_record_org_id_created_at_index" on "purge_record" ("org_id", "created_at");

-- Outstanding work for the sweeper, and tombstones for the purge, without scanning every item.
create index "item_outstanding_index" on "item" ("status_changed_at")
  where "deleted_at" is null and "status" in ('uploaded', 'ingested', 'identified', 'paused');
create index "item_deleted_at_index" on "item" ("deleted_at") where "deleted_at" is not null;
`);
  }
}
