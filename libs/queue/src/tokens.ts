/** The queues whose consumers run in this process (from SESSIONPIX_SERVICES). */
export const CONSUMED_QUEUES = Symbol('sessionpix:consumed-queues');
