export {
  ObjectStore,
  createObjectStore,
  type ObjectInfo,
  type ObjectStream,
  type PutOptions,
} from './object-store';
export {
  createS3Client,
  objectStoreOptionsFromConfig,
  validateObjectStoreOptions,
  type ObjectStoreOptions,
  type ServerSideEncryptionMode,
  type StorageConfigLike,
} from './options';
export { itemObjectKey, itemPrefix, orgPrefix, assertUuid, assertObjectKey, assertPrefix, type ItemObjectKind } from './keys';
export type { PresignedPut, PresignGetOptions, PresignPutOptions } from './presign';
export {
  StorageError,
  ObjectNotFoundError,
  BucketNotFoundError,
  StorageAccessDeniedError,
  PayloadTooLargeError,
  InvalidObjectKeyError,
  toStorageError,
} from './errors';
export { StorageModule } from './storage.module';
