import { z } from 'zod';
import { EQUIPMENT_CATEGORIES, type Pass1Device } from './schemas/pass1';
import { CONTROL_TYPES } from './schemas/pass2';

/**
 * The equipment catalog: makes and models with, when known, the layout of their front panel.
 * Pass 1's identification is matched against it; a match gives pass 2 the list of controls to
 * fill in instead of inventing one. The catalog describes products, never people or orgs, so
 * one catalog serves every org.
 */

const text = (max: number) => z.string().trim().min(1).max(max);

export const CatalogControlSchema = z.strictObject({
  label: text(60).nullable().describe('The label printed at the control, as printed; null when it has none'),
  section: text(60).nullable().describe('The printed section or channel, e.g. "EQ", "INPUT"'),
  type: z.enum(CONTROL_TYPES),
  range: text(60).nullable().optional().describe('What the control spans, as printed: "-20..+20 dB", "1..7", "0–10"'),
  legend: z.array(text(24)).max(24).nullable().optional().describe('The printed positions of a selector or switch, in order'),
});

export const CatalogLayoutSchema = z.strictObject({
  /** Written from general knowledge of the panel rather than from the maker's drawing. */
  approximate: z.boolean(),
  controls: z.array(CatalogControlSchema).min(1).max(200),
});

export const CatalogEntrySchema = z.strictObject({
  slug: z
    .string()
    .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'lower-case letters and digits separated by single hyphens')
    .max(80),
  brand: text(80),
  model: text(80),
  /** Other names the same unit goes by: with or without the brand ("UA 1176LN", "1176"). */
  aliases: z.array(text(80)).max(20).default([]),
  category: z.enum(EQUIPMENT_CATEGORIES),
  layout: CatalogLayoutSchema.nullable().default(null),
});

export type CatalogControl = z.output<typeof CatalogControlSchema>;
export type CatalogLayout = z.output<typeof CatalogLayoutSchema>;
export type CatalogEntry = z.output<typeof CatalogEntrySchema>;
export type CatalogEntryInput = z.input<typeof CatalogEntrySchema>;

/** What an Analysis row keeps of a match: enough to show it and to find the entry again. */
export interface CatalogMatch {
  device_index: number;
  catalog_id: string;
  slug: string;
  brand: string;
  model: string;
  /** True when the entry has a control layout that pass 2 was (or will be) given. */
  has_layout: boolean;
  layout_approximate: boolean | null;
}

/** "Universal Audio" + "1176 LN" → "universalaudio1176ln": case, spaces and punctuation ignored. */
export function normalizeName(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

/** Names under which an entry is known: brand + model, brand + each alias, and each alias alone. */
export function catalogKeys(entry: Pick<CatalogEntry, 'brand' | 'model' | 'aliases'>): Set<string> {
  const brand = normalizeName(entry.brand);
  const keys = new Set<string>([brand + normalizeName(entry.model)]);
  for (const alias of entry.aliases) {
    const a = normalizeName(alias);
    if (!a) continue;
    keys.add(a);
    if (!a.startsWith(brand)) keys.add(brand + a);
  }
  return keys;
}

/** Names a pass 1 device could be filed under; none without a model. */
export function deviceKeys(device: Pick<Pass1Device, 'brand' | 'model'>): string[] {
  if (!device.model) return [];
  const model = normalizeName(device.model);
  if (!model) return [];
  const brand = device.brand ? normalizeName(device.brand) : '';
  return brand && !model.startsWith(brand) ? [brand + model, model] : [model];
}

export interface CatalogIndexEntry {
  id: string;
  entry: Pick<CatalogEntry, 'slug' | 'brand' | 'model' | 'aliases' | 'category' | 'layout'>;
}

/**
 * Finds each device's entry: the device's brand + model (or its model alone) must equal one of
 * the entry's names. A brand-qualified hit wins over a bare-model one, and an entry of the same
 * category over one of another. Devices that match nothing keep their identification.
 */
export function matchCatalog(devices: readonly Pass1Device[], catalog: readonly CatalogIndexEntry[]): CatalogMatch[] {
  const byKey = new Map<string, CatalogIndexEntry[]>();
  for (const item of catalog) {
    for (const key of catalogKeys(item.entry)) byKey.set(key, [...(byKey.get(key) ?? []), item]);
  }
  const matches: CatalogMatch[] = [];
  devices.forEach((device, device_index) => {
    for (const key of deviceKeys(device)) {
      const found = byKey.get(key);
      if (!found?.length) continue;
      const best = found.find((c) => c.entry.category === device.category) ?? found[0]!;
      matches.push({
        device_index,
        catalog_id: best.id,
        slug: best.entry.slug,
        brand: best.entry.brand,
        model: best.entry.model,
        has_layout: best.entry.layout !== null,
        layout_approximate: best.entry.layout?.approximate ?? null,
      });
      return;
    }
  });
  return matches;
}
