import { Analysis } from './analysis.entity';
import { ApiKey } from './api-key.entity';
import { AuditLog } from './audit-log.entity';
import { AuthSession } from './auth-session.entity';
import {
  BillingAccount,
  BillingDispute,
  BillingDrift,
  BillingEvent,
  BillingInvoice,
  BillingRefund,
  BillingSubscription,
} from './billing.entities';
import { Collection } from './collection.entity';
import { EmailBroadcast } from './email-broadcast.entity';
import { EmailOutbox } from './email-outbox.entity';
import { EmailPreference } from './email-preference.entity';
import { EmailSuppression } from './email-suppression.entity';
import { FeatureUsageDaily } from './feature-usage-daily.entity';
import { Invitation } from './invitation.entity';
import { Item } from './item.entity';
import { Membership } from './membership.entity';
import { ModelCall } from './model-call.entity';
import { Organization } from './organization.entity';
import { PendingUpload } from './pending-upload.entity';
import { PurgeRecord } from './purge-record.entity';
import { RefreshToken } from './refresh-token.entity';
import { RetentionRun } from './retention-run.entity';
import { UsageEvent } from './usage-event.entity';
import { User } from './user.entity';
import { UserDevice } from './user-device.entity';
import { UserToken } from './user-token.entity';
import { EquipmentCatalogEntry } from './equipment-catalog.entity';
import { VisionResultCache } from './vision-result-cache.entity';

export {
  Analysis,
  ApiKey,
  AuditLog,
  AuthSession,
  Collection,
  EmailBroadcast,
  EmailOutbox,
  EmailPreference,
  EmailSuppression,
  FeatureUsageDaily,
  Invitation,
  Item,
  Membership,
  ModelCall,
  Organization,
  PendingUpload,
  PurgeRecord,
  RefreshToken,
  RetentionRun,
  UsageEvent,
  User,
  UserDevice,
  UserToken,
};
export { USER_TOKEN_PURPOSES, type UserTokenPurpose } from './user-token.entity';
export { EMAIL_BROADCAST_STATUSES, type EmailBroadcastStatus } from './email-broadcast.entity';
export { EMAIL_SUPPRESSION_REASONS, type EmailSuppressionReason } from './email-suppression.entity';
export { EquipmentCatalogEntry, VisionResultCache };
export {
  BillingAccount,
  BillingDispute,
  BillingDrift,
  BillingEvent,
  BillingInvoice,
  BillingRefund,
  BillingSubscription,
} from './billing.entities';
export * from './base';

export const ENTITIES = [
  Organization,
  ApiKey,
  Collection,
  Item,
  Analysis,
  ModelCall,
  PendingUpload,
  PurgeRecord,
  User,
  Membership,
  Invitation,
  AuthSession,
  RefreshToken,
  UserToken,
  UserDevice,
  AuditLog,
  EmailOutbox,
  UsageEvent,
  FeatureUsageDaily,
  RetentionRun,
  EmailBroadcast,
  EmailPreference,
  EmailSuppression,
  EquipmentCatalogEntry,
  VisionResultCache,
  BillingAccount,
  BillingSubscription,
  BillingInvoice,
  BillingRefund,
  BillingDispute,
  BillingEvent,
  BillingDrift,
];
