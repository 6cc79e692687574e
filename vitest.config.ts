import { readdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// Tests import every workspace package from its sources, so one module graph (and one set of
// Nest injection tokens) serves a whole test file. Subprocess tests run the built dist instead.
function workspaceAliases(): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const group of ['libs', 'services', 'apps']) {
    for (const dir of readdirSync(resolve(__dirname, group))) {
      const pkgFile = join(__dirname, group, dir, 'package.json');
      if (!existsSync(pkgFile)) continue;
      const name = (require(pkgFile) as { name: string }).name;
      aliases[name] = join(__dirname, group, dir, 'src', 'index.ts');
    }
  }
  return aliases;
}

export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: { alias: workspaceAliases() },
  test: {
    globals: true,
    include: ['{libs,services,apps}/*/{src,test}/**/*.{spec,test}.ts'],
    setupFiles: ['libs/testing/src/vitest-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    fileParallelism: true,
  },
});
