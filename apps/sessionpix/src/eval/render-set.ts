import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderPhoto, SYNTHETIC_SET } from './synthetic';

/** The shipped evaluation set's home: apps/sessionpix/eval-set (from dist/eval, or src/eval). */
export const EVAL_SET_DIR = resolve(__dirname, '..', '..', 'eval-set');

/** `npm run eval:render-set [-- --out <dir>]`: (re)writes the synthetic photos and their labels. */
async function main(): Promise<void> {
  const at = process.argv.indexOf('--out');
  const out = at >= 0 && process.argv[at + 1] ? resolve(process.argv[at + 1]!) : EVAL_SET_DIR;
  mkdirSync(out, { recursive: true });
  for (const photo of SYNTHETIC_SET) {
    const { jpeg, label } = await renderPhoto(photo);
    writeFileSync(join(out, `${photo.name}.jpg`), jpeg);
    writeFileSync(join(out, `${photo.name}.json`), `${JSON.stringify(label, null, 2)}\n`);
    process.stdout.write(`${photo.name}: ${photo.width}×${photo.height}, ${photo.devices.length} device(s), ${Math.round(jpeg.length / 1024)} KiB\n`);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`eval:render-set: ${String(err)}\n`);
    process.exit(1);
  });
}
