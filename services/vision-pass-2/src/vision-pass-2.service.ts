import type { ServiceDefinition } from '@sessionpix/runtime';
import { VisionPass2Module } from './vision-pass-2.module';

export const visionPass2Service: ServiceDefinition = { name: 'vision-pass-2', module: VisionPass2Module };
