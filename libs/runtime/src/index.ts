export { CoreModule } from './core.module';
export { startProcess, type RunningProcess, type StartOptions } from './start-process';
export { runMain } from './main-runner';
export type { ServiceDefinition } from './service-definition';
