import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261127000001InitialSchema } from './20261127-0001-initial-schema';
import { Migration20261127000002UploadsAndPurge } from './20261127-0002-uploads-and-purge';
import { Migration20261127000003Accounts } from './20261127-0003-accounts';

/** Forward-only, in order; each one safe to run while the previous release still serves. */
export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261127000001InitialSchema', class: Migration20261127000001InitialSchema },
  { name: 'Migration20261127000002UploadsAndPurge', class: Migration20261127000002UploadsAndPurge },
  { name: 'Migration20261127000003Accounts', class: Migration20261127000003Accounts },
];
