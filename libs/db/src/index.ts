export * from './entities';
export { ormConfig, type DbOptions } from './orm-config';
export { openOrm, emForOrg, emForSystem } from './orm';
export { ensureDatabase } from './create-database';
export { migrateDatabase, type MigrationReport } from './migrate';
export * from './pagination';
export { applyStatus, type StatusChange } from './item-status';
export { DbModule, MIKRO_ORM } from './db.module';
export { OutboxWriter, OutboxError, type QueueEmailInput, type QueuedEmail } from './outbox';
export { recordAudit, type AuditEntry } from './audit';
export {
  aggregateFeatureUsage,
  purgeUsageLogs,
  USAGE_LOG_RETENTION_DAYS,
  type AggregationReport,
  type UsagePurgeReport,
} from './data-retention';
export { MikroORM, EntityManager } from '@mikro-orm/postgresql';
