import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261127000001InitialSchema } from './20261127-0001-initial-schema';
import { Migration20261127000002UploadsAndPurge } from './20261127-0002-uploads-and-purge';
import { Migration20261127000003Accounts } from './20261127-0003-accounts';
import { Migration20261127000004Notifications } from './20261127-0004-notifications';
import { Migration20261127000006Billing } from './20261127-0006-billing';
import { Migration20261127000005RecallGradeVision } from './20261127-0005-recall-grade-vision';

/** Forward-only, in order; each one safe to run while the previous release still serves. */
export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261127000001InitialSchema', class: Migration20261127000001InitialSchema },
  { name: 'Migration20261127000002UploadsAndPurge', class: Migration20261127000002UploadsAndPurge },
  { name: 'Migration20261127000003Accounts', class: Migration20261127000003Accounts },
  { name: 'Migration20261127000004Notifications', class: Migration20261127000004Notifications },
  { name: 'Migration20261127000005RecallGradeVision', class: Migration20261127000005RecallGradeVision },
  { name: 'Migration20261127000006Billing', class: Migration20261127000006Billing },
];
