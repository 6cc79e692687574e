export { createTestDatabase, type TestDatabase } from './database';
export { testConfig, uniquePrefix, s3TestEnv } from './config';
export { startTestProcess, eventually, captureLogs } from './process';
export * from './converse';
export * from './s3';
export * from './stripe';
export * from './ses';
export { startSnsStandin, sesEvent, type SnsEnvelope, type SnsStandin } from './sns';
export { sesTestEnv } from './config';
