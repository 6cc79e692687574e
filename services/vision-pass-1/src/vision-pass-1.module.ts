import { Module } from '@nestjs/common';
import { VisionWorkerModule } from '@sessionpix/vision';
import { Pass1Handler } from './pass1.handler';

@Module({ imports: [VisionWorkerModule], providers: [Pass1Handler] })
export class VisionPass1Module {}
