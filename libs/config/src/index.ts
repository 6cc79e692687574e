export { configSchema, type RawConfig } from './schema';
export { loadConfig, ConfigError, configVariableNames, type AppConfig, type LoadOptions } from './load';
export { APP_CONFIG } from './token';
