import { runMain } from '@sessionpix/runtime';
import { ingestService } from './ingest.service';

void runMain([ingestService], { SESSIONPIX_SERVICES: 'ingest' });
