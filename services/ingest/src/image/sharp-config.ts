import sharp from 'sharp';

export interface SharpSettings {
  /** libvips threads per image operation (process-wide). 1 suits many jobs in parallel. */
  concurrency?: number;
  /**
   * libvips operation cache (process-wide). Each upload is seen once, so `false` saves
   * memory without losing speed.
   */
  cache?: boolean | { memory?: number; files?: number; items?: number };
}

/**
 * sharp's settings are global to the process (every worker thread shares them), so the
 * library never changes them itself; the service's entry point calls this once at start-up.
 */
export function configureSharp(settings: SharpSettings): void {
  if (settings.concurrency !== undefined) sharp.concurrency(settings.concurrency);
  if (settings.cache !== undefined) sharp.cache(settings.cache);
}
