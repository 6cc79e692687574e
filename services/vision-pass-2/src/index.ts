export { visionPass2Service } from './vision-pass-2.service';
export { VisionPass2Module } from './vision-pass-2.module';
