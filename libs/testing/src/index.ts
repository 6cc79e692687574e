export { createTestDatabase, type TestDatabase } from './database';
export { testConfig, uniquePrefix, s3TestEnv } from './config';
export { startTestProcess, eventually, captureLogs } from './process';
export * from './converse';
export * from './s3';
