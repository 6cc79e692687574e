import { runMain } from '@sessionpix/runtime';
import { ALL_SERVICES } from './services';

/**
 * The container entry point: runs the services named by SESSIONPIX_SERVICES (default all).
 * It starts no stand-ins and applies no migrations; edges must be configured.
 */
void runMain(ALL_SERVICES);
