export { startS3Standin, S3RVER_CREDENTIALS, type S3Standin, type S3StandinOptions } from './standin';
export { startS3StandinFromEnv } from './from-env';
export {
  startRecordingProxy,
  type RecordedRequest,
  type RecordingProxy,
  type RecordingProxyOptions,
} from './recording-proxy';
export { classifyS3Request, OBJECT_CREATING_OPERATIONS, type S3Operation } from './operations';
export { verifySigV4, type SigV4Request, type SigV4Result } from './sigv4';
export { startS3TestHarness, type S3TestHarness } from './harness';
export { patternStream, patternSha256, type PatternStream } from './pattern-stream';
