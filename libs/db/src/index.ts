export * from './entities';
export { ormConfig, type DbOptions } from './orm-config';
export { openOrm, emForOrg, emForSystem } from './orm';
export { ensureDatabase } from './create-database';
export { migrateDatabase, type MigrationReport } from './migrate';
export { seedEquipmentCatalog } from './catalog/seed';
export { SEED_CATALOG, type SeedCatalogEntry, type SeedControl } from './catalog/seed-data';
export * from './pagination';
export { applyStatus, type StatusChange } from './item-status';
export { DbModule, MIKRO_ORM } from './db.module';
export { OutboxWriter, OutboxError, type QueueEmailInput, type QueuedEmail } from './outbox';
export { recordAudit, type AuditEntry } from './audit';
export {
  emailAddressHash,
  optedOutCategories,
  setEmailPreferences,
  suppressEmailAddress,
  emailSuppressionOf,
  signUnsubscribeToken,
  verifyUnsubscribeToken,
} from './email-preferences';
export {
  aggregateFeatureUsage,
  purgeUsageLogs,
  USAGE_LOG_RETENTION_DAYS,
  type AggregationReport,
  type UsagePurgeReport,
} from './data-retention';
export { MikroORM, EntityManager } from '@mikro-orm/postgresql';
export {
  ledgerMetaOf,
  recordStripeEvent,
  sha256Hex,
  type LedgerEntry,
  type LedgerMeta,
  type StripeEventLike,
} from './billing-ledger';
export { chargePhoto, currentQuotaPeriod, photosUsed, type QuotaCharge, type QuotaPeriod } from './plan-quota';
