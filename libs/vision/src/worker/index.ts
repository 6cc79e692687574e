export { BedrockProvider } from './bedrock.provider';
export { VisionStep, NOT_CONFIGURED, type PassDefinition } from './vision-step';
export { PausedItemResumer } from './resume-paused';
export { VisionWorkerModule } from './vision-worker.module';
export { recordModelCall, modelCalls, modelQuotaErrors } from './model-calls';
