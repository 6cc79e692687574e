export { configSchema, parseFromAddress, type RawConfig } from './schema';
export {
  loadConfig,
  ConfigError,
  configVariableNames,
  AWS_SDK_VARIABLES,
  type AppConfig,
  type LoadOptions,
} from './load';
export { APP_CONFIG } from './token';
