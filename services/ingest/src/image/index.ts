export {
  ImageRejectedError,
  ImageWorkerError,
  isImageRejectedError,
  isImageRejectReasonCode,
  type ImageRejectReasonCode,
  type ImageWorkerErrorCode,
} from './errors';
export {
  sniffImageType,
  describeUnsupported,
  rejectUnsupported,
  SNIFF_BYTES,
  type ImageType,
  type UnsupportedDescription,
} from './sniff';
export { readImageHeader, type ImageHeader } from './header';
export { assertPixelBudget, DEFAULT_MAX_INPUT_PIXELS } from './limits';
export { fitWithin, type Size } from './geometry';
export {
  ANALYSIS_MAX_EDGE,
  ANALYSIS_MAX_PIXELS,
  MASTER_MAX_EDGE,
  THUMB_MAX_EDGE,
} from './renditions';
export { processImage, type ProcessImageOptions, type ProcessedImage } from './process';
export { configureSharp, type SharpSettings } from './sharp-config';
export { garbageCollector } from './collect-garbage';
export {
  ImageProcessorPool,
  type ImageProcessorPoolOptions,
  type PoolStats,
  type RunOptions,
} from './worker-thread';
