import { Entity, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { uuidv7 } from './base';

/**
 * P6: one API request — IP, device type, OS, app version, feature (the route pattern) and
 * time. Written in batches off the request path; folded into `feature_usage_daily` (P8) and
 * deleted after 90 days.
 */
@Entity({ tableName: 'usage_event' })
@Index({ properties: ['occurredAt'] })
export class UsageEvent {
  [OptionalProps]?: 'orgId' | 'userId' | 'apiKeyId' | 'appVersion' | 'aggregatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  @Property({ type: 'Date', columnType: 'timestamptz' })
  occurredAt!: Date;

  @Property({ type: 'uuid', nullable: true })
  orgId?: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  @Index()
  userId?: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  apiKeyId?: string | null = null;

  @Property({ type: 'text' })
  ip!: string;

  /** desktop, mobile, tablet, bot, other */
  @Property({ type: 'text' })
  deviceType!: string;

  @Property({ type: 'text' })
  os!: string;

  /** From X-Sessionpix-App, e.g. "ios/2.3.0". */
  @Property({ type: 'text', nullable: true })
  appVersion?: string | null = null;

  /** The route pattern, e.g. "GET /v1/collections/{id}". */
  @Property({ type: 'text' })
  feature!: string;

  @Property({ type: 'smallint' })
  status!: number;

  /** Set once the row is counted in feature_usage_daily. */
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  aggregatedAt?: Date | null = null;
}
