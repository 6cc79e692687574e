export * from './services';
export * from './queues';
export * from './jobs';
export * from './items';
export * from './events';
export * from './accounts';
export * from './emails';
export * from './billing';
