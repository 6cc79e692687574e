import { Redis } from 'ioredis';

/**
 * BullMQ needs `maxRetriesPerRequest: null` on connections that block; one shared connection
 * serves every Queue and Worker of the process (BullMQ duplicates it for blocking reads).
 */
export function createRedis(url: string, name: string): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: name,
    lazyConnect: false,
  });
}

export const REDIS = Symbol('sessionpix:redis');
