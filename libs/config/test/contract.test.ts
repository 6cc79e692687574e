import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { configVariableNames } from '@sessionpix/config';

const ROOT = join(__dirname, '..', '..', '..');

/** Variables the AWS SDK reads by itself (credential chain and per-service endpoints). */
const SDK_VARIABLES = new Set(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name === 'test' || name.startsWith('.')) return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(name) && !/\.(spec|test)\.ts$/.test(name) ? [path] : [];
  });
}

describe('the configuration contract', () => {
  const schema = configVariableNames();

  it('.env.example lists every variable the schema reads, and nothing else', () => {
    const listed = readFileSync(join(ROOT, '.env.example'), 'utf8')
      .split('\n')
      .map((l) => /^([A-Z0-9_]+)=/.exec(l)?.[1])
      .filter((v): v is string => Boolean(v));
    expect([...listed].sort()).toEqual([...schema].sort());
  });

  it('the README configuration table names every variable', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const missing = schema.filter((v) => !readme.includes(`\`${v}\``));
    expect(missing).toEqual([]);
  });

  it('services read the environment only through the typed schema', () => {
    const offenders: string[] = [];
    for (const group of ['libs', 'services']) {
      for (const file of sourceFiles(join(ROOT, group))) {
        if (file.includes(join('libs', 'testing'))) continue;
        const text = readFileSync(file, 'utf8');
        for (const match of text.matchAll(/process\.env(?:\.([A-Z0-9_]+)|\[['"]([A-Z0-9_]+)['"]\])/g)) {
          const name = match[1] ?? match[2];
          if (!schema.includes(name) && !SDK_VARIABLES.has(name)) offenders.push(`${relative(ROOT, file)}: ${name}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});
