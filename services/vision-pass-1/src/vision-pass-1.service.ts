import type { ServiceDefinition } from '@sessionpix/runtime';
import { VisionPass1Module } from './vision-pass-1.module';

export const visionPass1Service: ServiceDefinition = { name: 'vision-pass-1', module: VisionPass1Module };
