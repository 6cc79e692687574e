import { Analysis } from './analysis.entity';
import { ApiKey } from './api-key.entity';
import { Collection } from './collection.entity';
import { Item } from './item.entity';
import { ModelCall } from './model-call.entity';
import { Organization } from './organization.entity';
import { PendingUpload } from './pending-upload.entity';
import { PurgeRecord } from './purge-record.entity';

export { Analysis, ApiKey, Collection, Item, ModelCall, Organization, PendingUpload, PurgeRecord };
export * from './base';

export const ENTITIES = [Organization, ApiKey, Collection, Item, Analysis, ModelCall, PendingUpload, PurgeRecord];
