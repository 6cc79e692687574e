import { Module } from '@nestjs/common';
import { VisionWorkerModule } from '@sessionpix/vision';
import { Pass2Handler } from './pass2.handler';

@Module({ imports: [VisionWorkerModule], providers: [Pass2Handler] })
export class VisionPass2Module {}
