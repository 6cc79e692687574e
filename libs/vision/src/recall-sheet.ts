import { AI_OUTPUT_DISCLAIMER } from './disclaimer';
import { Pass1OutputSchema, type ImageQuality, type Pass1Device } from './schemas/pass1';
import { Pass2OutputSchema, type Control, type ControlType } from './schemas/pass2';
import type { CatalogMatch } from './catalog';

/**
 * The recall sheet: what an engineer needs to put a session back, per device — its identity,
 * then its controls grouped by section with positions and how sure each reading is. Built from
 * the two stored analyses; printable as CSV or plain text. Every form carries the disclaimer
 * (P13).
 */

export interface StoredAnalysis {
  schemaVersion: string;
  model: string;
  promptVersion: string;
  output: unknown;
  details?: Record<string, unknown> | null;
}

export interface RecallControl {
  label: string | null;
  type: ControlType;
  /** For people: "2:00", "-5 dB", "IN"; null when the control could not be read. */
  position: string | null;
  clock: string | null;
  travel: number | null;
  index_0_10: number | null;
  db: number | null;
  state: string | null;
  readable: boolean;
  unreadable_reason: string | null;
  confidence: number;
  /** The image the reading comes from, as it was labelled for the model. */
  image: string;
}

export interface RecallSection {
  /** The printed section or channel; null for controls outside any. */
  name: string | null;
  controls: RecallControl[];
}

export interface RecallDevice {
  /** 1-based, as people count (the crops are labelled the same way). */
  number: number;
  category: string;
  brand: string | null;
  model: string | null;
  model_confidence: number;
  serial: { raw: string; normalized: string } | null;
  catalog: { slug: string; brand: string; model: string; layout_approximate: boolean | null } | null;
  quality: ImageQuality | null;
  sections: RecallSection[];
  controls_total: number;
  controls_unreadable: number;
}

export interface RecallSheet {
  item_id: string;
  disclaimer: string;
  image_quality: ImageQuality;
  devices: RecallDevice[];
  sources: { pass1: { model: string; prompt_version: string; schema_version: string }; pass2: { model: string; prompt_version: string; schema_version: string } };
}

export class RecallSheetError extends Error {
  override name = 'RecallSheetError';
}

function imageLabels(details: Record<string, unknown> | null | undefined): Map<number, string> {
  const labels = new Map<number, string>();
  const images = Array.isArray(details?.images) ? (details.images as Array<{ image_index?: unknown; label?: unknown }>) : [];
  for (const img of images) {
    if (typeof img.image_index === 'number' && typeof img.label === 'string') labels.set(img.image_index, img.label);
  }
  return labels;
}

function catalogMatches(details: Record<string, unknown> | null | undefined): Map<number, CatalogMatch> {
  const matches = Array.isArray(details?.catalog_matches) ? (details.catalog_matches as CatalogMatch[]) : [];
  return new Map(matches.filter((m) => typeof m?.device_index === 'number').map((m) => [m.device_index, m]));
}

function positionText(control: Control): string | null {
  if (!control.readable || control.position === null) return null;
  switch (control.type) {
    case 'knob': {
      const p = control.position;
      return p.index_0_10 === null || p.index_0_10 === undefined ? p.clock : `${p.clock} (${p.index_0_10} on 0–10)`;
    }
    case 'fader':
      return control.position.db === null ? 'unmarked' : `${control.position.db > 0 ? '+' : ''}${control.position.db} dB`;
    case 'meter':
      return control.position.reading;
    default:
      return control.position.state;
  }
}

function recallControl(control: Control, labels: Map<number, string>): RecallControl {
  const p = control.position as Record<string, unknown> | null;
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    label: control.label,
    type: control.type,
    position: positionText(control),
    clock: control.type === 'knob' ? str(p?.clock) : null,
    travel: control.type === 'knob' ? num(p?.travel) : null,
    index_0_10: control.type === 'knob' ? num(p?.index_0_10) : null,
    db: control.type === 'fader' ? num(p?.db) : null,
    state: control.type === 'switch' || control.type === 'button' || control.type === 'selector' ? str(p?.state) : control.type === 'meter' ? str(p?.reading) : null,
    readable: control.readable,
    unreadable_reason: control.unreadable_reason,
    confidence: control.confidence,
    image: `Image ${control.image_index}${labels.has(control.image_index) ? ` (${labels.get(control.image_index)})` : ''}`,
  };
}

function sectionsOf(controls: readonly Control[], labels: Map<number, string>): RecallSection[] {
  const sections: RecallSection[] = [];
  for (const control of controls) {
    let section = sections.find((s) => s.name === control.section);
    if (!section) {
      section = { name: control.section, controls: [] };
      sections.push(section);
    }
    section.controls.push(recallControl(control, labels));
  }
  return sections;
}

export function buildRecallSheet(itemId: string, pass1: StoredAnalysis, pass2: StoredAnalysis): RecallSheet {
  const identified = Pass1OutputSchema.safeParse(pass1.output);
  const positions = Pass2OutputSchema.safeParse(pass2.output);
  if (!identified.success || !positions.success) {
    throw new RecallSheetError(`the stored analyses of item ${itemId} do not match their schemas`);
  }
  const labels = imageLabels(pass2.details);
  const matches = catalogMatches(pass1.details);
  const devices = identified.data.devices.map((device: Pass1Device, index): RecallDevice => {
    const controls = positions.data.devices.filter((d) => d.device_index === index).flatMap((d) => d.controls);
    const match = matches.get(index);
    return {
      number: index + 1,
      category: device.category,
      brand: device.brand,
      model: device.model,
      model_confidence: device.model_confidence,
      serial: device.serial,
      catalog: match ? { slug: match.slug, brand: match.brand, model: match.model, layout_approximate: match.layout_approximate } : null,
      quality: device.quality ?? null,
      sections: sectionsOf(controls, labels),
      controls_total: controls.length,
      controls_unreadable: controls.filter((c) => !c.readable).length,
    };
  });
  const source = (a: StoredAnalysis) => ({ model: a.model, prompt_version: a.promptVersion, schema_version: a.schemaVersion });
  return {
    item_id: itemId,
    disclaimer: AI_OUTPUT_DISCLAIMER,
    image_quality: identified.data.image_quality,
    devices,
    sources: { pass1: source(pass1), pass2: source(pass2) },
  };
}

// ---------------------------------------------------------------------------------------------
// printable forms

const CSV_COLUMNS = [
  'device',
  'category',
  'brand',
  'model',
  'serial',
  'catalog',
  'section',
  'label',
  'type',
  'position',
  'clock',
  'travel',
  'index_0_10',
  'db',
  'state',
  'readable',
  'confidence',
  'unreadable_reason',
  'image',
] as const;

/** A signed number with an optional unit ("-5 dB", "+4"): starts like a formula, is not one. */
const SIGNED_QUANTITY = /^[+-]?\d+(?:\.\d+)?(?: ?[A-Za-z%°]{1,4})?$/;

/** Quotes a cell; text a spreadsheet would run as a formula is prefixed with an apostrophe. */
function csvCell(value: string | number | boolean | null, text = true): string {
  if (value === null) return '';
  let cell = String(value);
  if (text && typeof value === 'string' && /^[=+\-@\t\r]/.test(cell) && !SIGNED_QUANTITY.test(cell)) cell = `'${cell}`;
  return /[",\r\n]/.test(cell) || cell !== cell.trim() ? `"${cell.replace(/"/g, '""')}"` : cell;
}

/** One row per control; the first line is the disclaimer, the second the header. */
export function recallSheetCsv(sheet: RecallSheet): string {
  const lines = [csvCell(`Disclaimer: ${sheet.disclaimer}`), CSV_COLUMNS.join(',')];
  for (const d of sheet.devices) {
    const identity = [
      csvCell(d.number, false),
      csvCell(d.category),
      csvCell(d.brand),
      csvCell(d.model),
      csvCell(d.serial?.normalized ?? null),
      csvCell(d.catalog?.slug ?? null),
    ];
    if (d.controls_total === 0) lines.push([...identity, ...Array(CSV_COLUMNS.length - identity.length).fill('')].join(','));
    for (const s of d.sections) {
      for (const c of s.controls) {
        lines.push(
          [
            ...identity,
            csvCell(s.name),
            csvCell(c.label),
            csvCell(c.type),
            csvCell(c.position),
            csvCell(c.clock),
            csvCell(c.travel, false),
            csvCell(c.index_0_10, false),
            csvCell(c.db, false),
            csvCell(c.state),
            csvCell(c.readable, false),
            csvCell(c.confidence, false),
            csvCell(c.unreadable_reason),
            csvCell(c.image),
          ].join(','),
        );
      }
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

function controlLine(c: RecallControl): string {
  const label = (c.label ?? `(unlabelled ${c.type})`).padEnd(22, ' ');
  if (!c.readable) return `    ${label} UNREADABLE — ${c.unreadable_reason ?? 'no reason given'}   [${c.image}]`;
  const travel = c.travel !== null ? `  travel ${c.travel.toFixed(2)}` : '';
  return `    ${label} ${(c.position ?? '').padEnd(16, ' ')} confidence ${c.confidence.toFixed(2)}${travel}   [${c.image}]`;
}

/** A plain-text sheet to print: devices, sections, one line per control. */
export function recallSheetText(sheet: RecallSheet): string {
  const out = [`RECALL SHEET — item ${sheet.item_id}`, '', sheet.disclaimer, ''];
  if (sheet.image_quality.needs_retake) out.push('The photo should be retaken to record this equipment reliably.', '');
  if (sheet.devices.length === 0) out.push('No audio equipment was identified in this photo.');
  for (const d of sheet.devices) {
    const name = [d.brand, d.model].filter(Boolean).join(' ') || 'Unidentified device';
    out.push(`Device ${d.number}: ${name} (${d.category.replace('_', ' ')}), identification confidence ${d.model_confidence.toFixed(2)}`);
    out.push(`  Serial: ${d.serial ? d.serial.raw : 'not legible in the photo'}`);
    if (d.catalog) out.push(`  Catalog: ${d.catalog.slug}${d.catalog.layout_approximate ? ' (approximate layout)' : ''}`);
    if (d.quality?.needs_retake) out.push('  A new photo of this device is needed to read it reliably.');
    if (d.controls_total === 0) out.push('  No controls recorded.');
    for (const s of d.sections) {
      out.push(`  ${s.name ?? '(no section)'}`);
      for (const c of s.controls) out.push(controlLine(c));
    }
    out.push('');
  }
  out.push(`Pass 1: ${sheet.sources.pass1.model} (${sheet.sources.pass1.prompt_version}); pass 2: ${sheet.sources.pass2.model} (${sheet.sources.pass2.prompt_version}).`);
  return `${out.join('\n')}\n`;
}
