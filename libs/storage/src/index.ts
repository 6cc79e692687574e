export {
  ObjectStore,
  createObjectStore,
  type ObjectInfo,
  type ObjectStream,
  type PutOptions,
  type UploadResult,
  type UploadStreamOptions,
} from './object-store';
export {
  createS3Client,
  objectStoreOptionsFromConfig,
  validateObjectStoreOptions,
  DEFAULT_UPLOAD_TUNING,
  type ObjectStoreOptions,
  type ServerSideEncryptionMode,
  type StorageConfigLike,
  type UploadTuning,
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
