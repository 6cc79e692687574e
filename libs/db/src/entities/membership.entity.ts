import { Entity, Enum, Index, ManyToOne, Unique, type Ref } from '@mikro-orm/core';
import { ORG_ROLES, type OrgRole } from '@sessionpix/contracts';
import { BaseEntity, TenantScoped } from './base';
import { Organization } from './organization.entity';
import { User } from './user.entity';

/** A user's role in one org. */
@Entity({ tableName: 'membership' })
@TenantScoped()
@Unique({ properties: ['org', 'user'] })
export class Membership extends BaseEntity {
  @ManyToOne(() => Organization, { fieldName: 'org_id', ref: true })
  org!: Ref<Organization>;

  @ManyToOne(() => User, { fieldName: 'user_id', ref: true, deleteRule: 'cascade' })
  @Index()
  user!: Ref<User>;

  @Enum({ items: () => [...ORG_ROLES], type: 'text' })
  role!: OrgRole;
}
