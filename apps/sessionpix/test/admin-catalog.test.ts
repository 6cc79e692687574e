import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { migrateDatabase, SEED_CATALOG } from '@sessionpix/db';
import { createTestDatabase, type TestDatabase } from '@sessionpix/testing';
import { Client } from 'pg';

const run = promisify(execFile);
const ADMIN = join(__dirname, '..', 'dist', 'admin.js');

describe('the equipment catalog from the admin CLI', () => {
  let db: TestDatabase;
  let dir: string;

  const admin = async (...args: string[]) => {
    const { stdout } = await run(process.execPath, [ADMIN, ...args], { env: { ...process.env, DATABASE_URL: db.url, NODE_ENV: 'test' } });
    const lines = stdout.trim().split('\n');
    return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
  };
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };
  type Listed = { entries: Array<{ slug: string; brand: string; model: string; controls: number; approximate: boolean | null; source: string }> };

  beforeAll(async () => {
    db = await createTestDatabase('catalogcli');
    dir = mkdtempSync(join(tmpdir(), 'spx-catalog-'));
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('db:migrate seeds the shipped entries once; a second run writes nothing', async () => {
    const listed = (await admin('catalog:list')) as Listed;
    expect(listed.entries.map((e) => e.slug).sort()).toEqual(SEED_CATALOG.map((e) => e.slug).sort());
    expect(listed.entries.find((e) => e.slug === 'universal-audio-1176ln')).toMatchObject({ brand: 'Universal Audio', approximate: true, source: 'seed' });
    expect((await migrateDatabase(db.url)).catalogSeeded).toBe(0);
  });

  it('catalog:add adds an operator’s entries, validated, and replaces one with the same slug; the seed then leaves it alone', async () => {
    const entry = {
      slug: 'acme-tube-leveler',
      brand: 'Acme',
      model: 'Tube Leveler',
      aliases: ['ATL-1'],
      category: 'compressor',
      layout: { approximate: false, controls: [{ label: 'GAIN', section: null, type: 'knob', range: '0–10' }, { label: 'MODE', section: null, type: 'switch', legend: ['COMP', 'LIMIT'] }] },
    };
    expect(await admin('catalog:add', '--file', file('one.json', entry))).toEqual({ written: [{ slug: 'acme-tube-leveler', action: 'created' }] });
    const ua = { ...SEED_CATALOG.find((e) => e.slug === 'universal-audio-1176ln')!, layout: { approximate: false, controls: [{ label: 'INPUT', section: null, type: 'knob' }] } };
    expect(await admin('catalog:add', '--file', file('two.json', [ua, { ...entry, model: 'Tube Leveler II' }]))).toEqual({
      written: [
        { slug: 'universal-audio-1176ln', action: 'replaced' },
        { slug: 'acme-tube-leveler', action: 'replaced' },
      ],
    });
    const listed = (await admin('catalog:list')) as Listed;
    expect(listed.entries.find((e) => e.slug === 'acme-tube-leveler')).toMatchObject({ model: 'Tube Leveler II', controls: 2, approximate: false, source: 'operator' });
    expect(listed.entries.find((e) => e.slug === 'universal-audio-1176ln')).toMatchObject({ controls: 1, source: 'operator' });

    await migrateDatabase(db.url);
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      const { rows } = await pg.query<{ layout: { controls: unknown[] } }>(`select layout from equipment_catalog where slug = 'universal-audio-1176ln'`);
      expect(rows[0]!.layout.controls).toHaveLength(1);
    } finally {
      await pg.end();
    }
  });

  it('refuses an invalid entry with exit code 2, naming the field, and writes nothing', async () => {
    const bad = { slug: 'Bad Slug', brand: 'X', model: 'Y', category: 'toaster' };
    const failure = await run(process.execPath, [ADMIN, 'catalog:add', '--file', file('bad.json', bad)], {
      env: { ...process.env, DATABASE_URL: db.url },
    }).catch((err: { code: number; stderr: string }) => err);
    expect(failure).toMatchObject({ code: 2 });
    expect((failure as { stderr: string }).stderr).toMatch(/slug: .*; category: /);
    const listed = (await admin('catalog:list')) as Listed;
    expect(listed.entries.some((e) => e.brand === 'X')).toBe(false);
    const missing = await run(process.execPath, [ADMIN, 'catalog:add'], { env: { ...process.env, DATABASE_URL: db.url } }).catch((err: { code: number; stderr: string }) => err);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('--file is required') });
  });
});
