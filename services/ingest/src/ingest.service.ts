import type { ServiceDefinition } from '@sessionpix/runtime';
import { IngestModule } from './ingest.module';

export const ingestService: ServiceDefinition = { name: 'ingest', module: IngestModule };
