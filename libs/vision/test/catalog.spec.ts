import { SEED_CATALOG } from '@sessionpix/db';
import { describe, expect, it } from 'vitest';
import { CatalogEntrySchema, catalogKeys, matchCatalog, normalizeName, type CatalogIndexEntry, type Pass1Device } from '../src';
import { PASS1_ANSWER } from './fixtures';

const device = (brand: string | null, model: string | null, category: Pass1Device['category'] = 'compressor'): Pass1Device => ({
  ...PASS1_ANSWER.devices[1]!,
  brand,
  model,
  category,
});

const index = (entries: Array<Partial<CatalogIndexEntry['entry']> & { slug: string }>): CatalogIndexEntry[] =>
  entries.map((e, i) => ({
    id: `id-${i}`,
    entry: { brand: 'X', model: 'Y', aliases: [], category: 'compressor', layout: null, ...e },
  }));

describe('the equipment catalog', () => {
  it('normalises names: case, spaces, punctuation and accents do not matter', () => {
    expect(normalizeName('Universal Audio 1176 LN')).toBe('universalaudio1176ln');
    expect(normalizeName('EQP-1A')).toBe(normalizeName('eqp 1a'));
    expect(normalizeName('Électro')).toBe('electro');
    expect([...catalogKeys({ brand: 'Teletronix', model: 'LA-2A', aliases: ['UA LA-2A', 'LA2A'] })]).toEqual([
      'teletronixla2a',
      'uala2a',
      'teletronixuala2a',
      'la2a',
    ]);
  });

  it('matches brand + model, an alias with or without the brand, and a bare model name', () => {
    const catalog = index([
      { slug: 'ua-1176', brand: 'Universal Audio', model: '1176LN', aliases: ['UREI 1176', '1176'] },
      { slug: 'la-2a', brand: 'Teletronix', model: 'LA-2A', aliases: ['LA2A'] },
    ]);
    const matches = matchCatalog(
      [
        device('Universal Audio', '1176 LN'),
        device('UREI', '1176'),
        device(null, 'LA-2A'),
        device('Universal Audio', 'LA-2A'),
        device('Acme', 'Nothing 3'),
        device('Teletronix', null),
      ],
      catalog,
    );
    expect(matches.map((m) => [m.device_index, m.slug])).toEqual([
      [0, 'ua-1176'],
      [1, 'ua-1176'],
      [2, 'la-2a'],
      [3, 'la-2a'],
    ]);
    expect(matches[0]).toMatchObject({ catalog_id: 'id-0', brand: 'Universal Audio', model: '1176LN', has_layout: false, layout_approximate: null });
  });

  it('prefers the entry of the same category when two share a name', () => {
    const catalog = index([
      { slug: 'x-pedal', brand: 'Boss', model: 'X1', category: 'pedal' },
      { slug: 'x-synth', brand: 'Boss', model: 'X1', category: 'synth' },
    ]);
    expect(matchCatalog([device('Boss', 'X1', 'synth')], catalog)[0]!.slug).toBe('x-synth');
  });

  it('ships a few dozen hand-written entries that the catalog schema accepts, with unique slugs and names', () => {
    expect(SEED_CATALOG.length).toBeGreaterThanOrEqual(30);
    const parsed = SEED_CATALOG.map((entry) => CatalogEntrySchema.parse(entry));
    expect(new Set(parsed.map((e) => e.slug)).size).toBe(parsed.length);
    const categories = new Set(parsed.map((e) => e.category));
    for (const c of ['console', 'channel_strip', 'compressor', 'eq', 'preamp', 'synth', 'drum_machine', 'pedal', 'amp', 'interface']) {
      expect(categories, c).toContain(c);
    }
    // Every layout written from general knowledge says so.
    expect(parsed.filter((e) => e.layout).every((e) => e.layout!.approximate)).toBe(true);
    expect(parsed.filter((e) => e.layout).length).toBeGreaterThanOrEqual(25);
    // No two entries answer to the same name.
    const owners = new Map<string, string>();
    for (const e of parsed) {
      for (const key of catalogKeys(e)) {
        expect(owners.get(key) ?? e.slug, `${key}: ${owners.get(key)} and ${e.slug}`).toBe(e.slug);
        owners.set(key, e.slug);
      }
    }
  });

  it('refuses an entry with an unknown control type or a malformed slug', () => {
    const good = { slug: 'acme-box', brand: 'Acme', model: 'Box', category: 'other', layout: { approximate: false, controls: [{ label: 'GAIN', section: null, type: 'knob' }] } };
    expect(CatalogEntrySchema.parse(good).aliases).toEqual([]);
    expect(CatalogEntrySchema.safeParse({ ...good, slug: 'Acme Box' }).success).toBe(false);
    expect(CatalogEntrySchema.safeParse({ ...good, layout: { approximate: false, controls: [{ label: 'X', section: null, type: 'slider' }] } }).success).toBe(false);
    expect(CatalogEntrySchema.safeParse({ ...good, owner: 'someone' }).success).toBe(false);
  });
});
