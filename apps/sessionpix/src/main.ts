import { runMain } from '@sessionpix/runtime';
import { loadServices } from './services';

/**
 * The container entry point: runs the services named by SESSIONPIX_SERVICES (default all).
 * It starts no stand-ins and applies no migrations; edges must be configured.
 */
void runMain(loadServices);
