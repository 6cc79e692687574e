import { Module } from '@nestjs/common';
import { StorageModule } from '@sessionpix/storage';
import { ImagePool } from './image-pool.provider';
import { IngestHandler } from './ingest.handler';
import { MaintenanceHandler } from './maintenance.handler';
import { PlanLimits } from './plan-limit';
import { PurgeHandler } from './purge.handler';

@Module({
  imports: [StorageModule],
  providers: [ImagePool, IngestHandler, PurgeHandler, MaintenanceHandler, PlanLimits],
})
export class IngestModule {}
