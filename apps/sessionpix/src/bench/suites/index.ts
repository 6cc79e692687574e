import type { Suite } from '../framework';
import { billingSuite } from './billing';
import { ingestSuite } from './ingest';
import { ingestRssSuite } from './ingest-rss';
import { emailSuite } from './email';
import { uploadSuite } from './upload';
import { visionSuite } from './vision';

/**
 * Every suite, in the order `npm run bench` runs them. A new suite is a file in this folder
 * exporting a `Suite`, added here.
 */
export const SUITES: readonly Suite[] = [uploadSuite, ingestSuite, ingestRssSuite, emailSuite, visionSuite, billingSuite];
