import { Entity, Index, ManyToOne, Property, Unique, type Ref } from '@mikro-orm/core';
import { BaseEntity, TenantScoped } from './base';
import { Item } from './item.entity';
import { Organization } from './organization.entity';

/** The schema-validated output of one vision pass for one item (P4). */
@Entity({ tableName: 'analysis' })
@TenantScoped()
@Unique({ properties: ['item', 'pass'] })
export class Analysis extends BaseEntity {
  @ManyToOne(() => Organization, { fieldName: 'org_id', ref: true })
  @Index()
  org!: Ref<Organization>;

  @ManyToOne(() => Item, { fieldName: 'item_id', ref: true, deleteRule: 'cascade' })
  item!: Ref<Item>;

  @Property({ type: 'smallint' })
  pass!: 1 | 2;

  @Property({ type: 'text' })
  schemaVersion!: string;

  @Property({ type: 'text' })
  model!: string;

  @Property({ type: 'text' })
  promptVersion!: string;

  @Property({ type: 'json' })
  output!: Record<string, unknown>;

  /**
   * What the pass worked with besides the photo, for reading the answer later: pass 1, the
   * equipment catalog entries its devices matched (`catalog_matches`); pass 2, the images it was
   * sent with their labels (`images`) and the devices whose catalog layout it was given.
   */
  @Property({ type: 'json', nullable: true })
  details?: Record<string, unknown> | null = null;

  /** The item whose results this row copies, when the photo was a duplicate. */
  @ManyToOne(() => Item, { fieldName: 'source_item_id', ref: true, nullable: true, deleteRule: 'set null' })
  sourceItem?: Ref<Item> | null = null;
}
