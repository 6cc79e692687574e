/**
 * A process that only runs the bare-sharp baseline, forked by the ingest-rss suite so the
 * memory libvips needs for the same photos can be measured apart from the service around it.
 *
 * parent → child: { type: 'run', files: string[], inFlight: number } | { type: 'exit' }
 * child → parent: { type: 'ready' } | { type: 'done', ms: number } | { type: 'failed', message: string }
 */
import { readFileSync } from 'node:fs';
import { bareSharp } from './bare-sharp';

type Request = { type: 'run'; files: string[]; inFlight: number; maxInputPixels: number } | { type: 'exit' };

function reply(message: object): void {
  process.send?.(message);
}

async function run(files: string[], inFlight: number, maxInputPixels: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < files.length) {
        const file = files[next++];
        await bareSharp(readFileSync(file), maxInputPixels);
      }
    }),
  );
  return performance.now() - started;
}

if (!process.send) {
  process.stderr.write('bare-sharp-child must be started with fork()\n');
  process.exit(2);
}

process.on('message', (raw) => {
  const request = raw as Request;
  if (request.type === 'exit') process.exit(0);
  run(request.files, request.inFlight, request.maxInputPixels).then(
    (ms) => reply({ type: 'done', ms }),
    (err: unknown) => reply({ type: 'failed', message: err instanceof Error ? err.message : String(err) }),
  );
});
// The parent going away ends this process too.
process.on('disconnect', () => process.exit(0));
reply({ type: 'ready' });
