import { Module } from '@nestjs/common';
import { StorageModule } from '@sessionpix/storage';
import { VisionWorkerModule } from '@sessionpix/vision';
import { Pass2Handler } from './pass2.handler';

@Module({ imports: [VisionWorkerModule, StorageModule], providers: [Pass2Handler] })
export class VisionPass2Module {}
