import { Entity, Index, ManyToOne, Property, Unique, type Ref } from '@mikro-orm/core';
import { BaseEntity, TenantScoped } from './base';
import { Item } from './item.entity';
import { Organization } from './organization.entity';

/**
 * A validated model answer, kept so the same photo is not sent to the model twice by one org.
 * The key is (org, image SHA-256, pass, prompt version, model, input digest): the digest covers
 * what else the request carried (pass 1's answer and the catalog layouts for pass 2), so an
 * answer is reused only for the same question. Rows belong to the item whose call produced them
 * and go with it (on delete cascade, and explicitly in the purge); nothing crosses orgs.
 */
@Entity({ tableName: 'vision_result_cache' })
@TenantScoped()
@Unique({ properties: ['org', 'imageSha256', 'pass', 'promptVersion', 'model', 'inputSha256'] })
export class VisionResultCache extends BaseEntity {
  @ManyToOne(() => Organization, { fieldName: 'org_id', ref: true })
  org!: Ref<Organization>;

  /** The item whose model call produced the answer. */
  @ManyToOne(() => Item, { fieldName: 'item_id', ref: true, deleteRule: 'cascade' })
  @Index()
  item!: Ref<Item>;

  @Property({ type: 'text' })
  imageSha256!: string;

  @Property({ type: 'smallint' })
  pass!: 1 | 2;

  @Property({ type: 'text' })
  promptVersion!: string;

  @Property({ type: 'text' })
  model!: string;

  @Property({ type: 'text' })
  inputSha256!: string;

  @Property({ type: 'text' })
  schemaVersion!: string;

  @Property({ type: 'json' })
  output!: Record<string, unknown>;
}
