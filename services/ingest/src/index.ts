export { ingestService } from './ingest.service';
export { IngestModule } from './ingest.module';
