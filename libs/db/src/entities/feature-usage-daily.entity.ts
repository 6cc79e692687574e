import { BigIntType, Entity, PrimaryKey, PrimaryKeyProp, Property } from '@mikro-orm/core';

/** P8: how often each feature was used per UTC day. No org, user, IP or device: no personal data. */
@Entity({ tableName: 'feature_usage_daily' })
export class FeatureUsageDaily {
  [PrimaryKeyProp]?: ['day', 'feature'];

  /** YYYY-MM-DD (UTC). */
  @PrimaryKey({ type: 'date' })
  day!: string;

  @PrimaryKey({ type: 'text' })
  feature!: string;

  @Property({ type: new BigIntType('number') })
  count!: number;
}
