export { parseConfig, ConfigError, type PortholeConfig } from './config';
export { startPorthole, type RunningPorthole, type StartOptions } from './porthole-server';
export { createLogger } from './logger';
