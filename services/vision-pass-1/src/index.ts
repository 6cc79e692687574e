export { visionPass1Service } from './vision-pass-1.service';
export { VisionPass1Module } from './vision-pass-1.module';
