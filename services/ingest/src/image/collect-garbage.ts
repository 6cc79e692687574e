import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A full garbage collection of the calling thread's heap, on demand (or a no-op if V8 refuses). */
export function garbageCollector(): () => void {
  // The flag is process-wide and threads start side by side, so it is left on: turning it off
  // again could race another thread between its two calls. It only adds a `gc` global to
  // contexts created afterwards.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as unknown;
  return typeof gc === 'function' ? (gc as () => void) : () => undefined;
}
