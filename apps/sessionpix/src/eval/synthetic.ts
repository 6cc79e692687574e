import { clockToTravel, type ControlType, type EquipmentCategory } from '@sessionpix/vision';
import sharp from 'sharp';
import type { PhotoLabel } from './labels';

/**
 * Synthetic panel photos for the evaluation set: front panels drawn as SVG and rendered with
 * sharp, so every label, knob angle, fader position, switch state and serial is known exactly.
 * They check the plumbing and the scorer (and give a model an easy baseline); real photos are
 * what measure recall quality.
 */

export interface SyntheticControl {
  label: string;
  section?: string;
  type: Extract<ControlType, 'knob' | 'fader' | 'switch' | 'selector' | 'button'>;
  clock?: string;
  db?: number;
  /** The state shown, one of `states`. */
  state?: string;
  states?: string[];
}

export interface SyntheticDevice {
  brand: string;
  model: string;
  category: EquipmentCategory;
  serial: string | null;
  /** Where the panel is, 0..1 of the photo. */
  box: { x: number; y: number; w: number; h: number };
  color: string;
  controls: SyntheticControl[];
}

export interface SyntheticPhoto {
  name: string;
  description: string;
  width: number;
  height: number;
  devices: SyntheticDevice[];
}

const FONT = "DejaVu Sans, Arial, Helvetica, sans-serif";
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const r1 = (n: number) => Math.round(n * 10) / 10;

function text(x: number, y: number, size: number, value: string, opts: { anchor?: string; fill?: string; weight?: string } = {}): string {
  return `<text x="${r1(x)}" y="${r1(y)}" font-family="${FONT}" font-size="${r1(size)}" text-anchor="${opts.anchor ?? 'middle'}" fill="${opts.fill ?? '#f2f2f2'}" font-weight="${opts.weight ?? 'bold'}">${esc(value)}</text>`;
}

/** A knob with its scale from 7:00 to 5:00 and a pointer at `clock`. */
function knob(cx: number, cy: number, r: number, clock: string): string {
  const parts: string[] = [];
  for (let i = 0; i <= 10; i++) {
    const a = ((i / 10 - 0.5) * 300 * Math.PI) / 180;
    const [x1, y1] = [cx + Math.sin(a) * r * 1.2, cy - Math.cos(a) * r * 1.2];
    const [x2, y2] = [cx + Math.sin(a) * r * 1.38, cy - Math.cos(a) * r * 1.38];
    parts.push(`<line x1="${r1(x1)}" y1="${r1(y1)}" x2="${r1(x2)}" y2="${r1(y2)}" stroke="#f2f2f2" stroke-width="${r1(r / 12)}"/>`);
  }
  const a = ((clockToTravel(clock) - 0.5) * 300 * Math.PI) / 180;
  parts.push(`<circle cx="${r1(cx)}" cy="${r1(cy)}" r="${r1(r)}" fill="#1b1b1b" stroke="#8a8a8a" stroke-width="${r1(r / 10)}"/>`);
  parts.push(
    `<line x1="${r1(cx)}" y1="${r1(cy)}" x2="${r1(cx + Math.sin(a) * r * 0.92)}" y2="${r1(cy - Math.cos(a) * r * 0.92)}" stroke="#ffffff" stroke-width="${r1(r / 6)}" stroke-linecap="round"/>`,
  );
  return parts.join('');
}

const FADER_TOP_DB = 10;
const FADER_BOTTOM_DB = -30;
const FADER_MARKS = [10, 5, 0, -5, -10, -20, -30];

function fader(cx: number, top: number, height: number, db: number, w: number): string {
  const y = (v: number) => top + ((FADER_TOP_DB - v) / (FADER_TOP_DB - FADER_BOTTOM_DB)) * height;
  const parts = [`<rect x="${r1(cx - w * 0.06)}" y="${r1(top)}" width="${r1(w * 0.12)}" height="${r1(height)}" fill="#101010"/>`];
  for (const m of FADER_MARKS) {
    parts.push(`<line x1="${r1(cx - w * 0.35)}" y1="${r1(y(m))}" x2="${r1(cx - w * 0.12)}" y2="${r1(y(m))}" stroke="#f2f2f2" stroke-width="2"/>`);
    parts.push(text(cx - w * 0.38, y(m) + w * 0.05, w * 0.13, m > 0 ? `+${m}` : String(m), { anchor: 'end', weight: 'normal' }));
  }
  parts.push(`<rect x="${r1(cx - w * 0.22)}" y="${r1(y(db) - w * 0.1)}" width="${r1(w * 0.44)}" height="${r1(w * 0.2)}" fill="#d8d8d8" stroke="#555" stroke-width="2"/>`);
  parts.push(`<line x1="${r1(cx - w * 0.22)}" y1="${r1(y(db))}" x2="${r1(cx + w * 0.22)}" y2="${r1(y(db))}" stroke="#111" stroke-width="3"/>`);
  return parts.join('');
}

/** Switches, buttons and selectors: every state printed, the one set boxed and lit. */
function states(cx: number, top: number, w: number, size: number, all: string[], set: string): string {
  const parts: string[] = [];
  all.forEach((s, i) => {
    const y = top + i * size * 1.5;
    if (s === set) {
      parts.push(`<rect x="${r1(cx - w * 0.4)}" y="${r1(y - size * 1.05)}" width="${r1(w * 0.8)}" height="${r1(size * 1.4)}" fill="#ffd23c"/>`);
      parts.push(text(cx, y, size, s, { fill: '#111111' }));
    } else parts.push(text(cx, y, size, s, { fill: '#9a9a9a', weight: 'normal' }));
  });
  return parts.join('');
}

function panel(d: SyntheticDevice, photo: SyntheticPhoto): string {
  const x = d.box.x * photo.width;
  const y = d.box.y * photo.height;
  const w = d.box.w * photo.width;
  const h = d.box.h * photo.height;
  const unit = Math.min(w / Math.max(3, d.controls.length + 0.5), h / 3.2);
  const parts = [`<rect x="${r1(x)}" y="${r1(y)}" width="${r1(w)}" height="${r1(h)}" rx="${r1(unit * 0.08)}" fill="${d.color}" stroke="#000" stroke-width="3"/>`];
  const title = `${d.brand.toUpperCase()}  ${d.model}`;
  // Sized to fit the panel: about 0.62 em a character in a bold sans face.
  parts.push(text(x + unit * 0.3, y + unit * 0.45, Math.min(unit * 0.3, (w - unit * 0.6) / (title.length * 0.62)), title, { anchor: 'start' }));
  if (d.serial) parts.push(text(x + w - unit * 0.25, y + h - unit * 0.2, unit * 0.17, `SER. NO. ${d.serial}`, { anchor: 'end', weight: 'normal' }));
  const cell = w / d.controls.length;
  d.controls.forEach((c, i) => {
    const cx = x + cell * (i + 0.5);
    const labelY = y + unit * 0.95;
    parts.push(text(cx, labelY, unit * 0.16, c.label));
    if (c.section) parts.push(text(cx, labelY - unit * 0.2, unit * 0.11, c.section, { weight: 'normal', fill: '#cfcfcf' }));
    const bodyTop = labelY + unit * 0.25;
    const bodyHeight = y + h - bodyTop - unit * 0.35;
    if (c.type === 'knob') parts.push(knob(cx, bodyTop + bodyHeight / 2, Math.min(cell, bodyHeight) * 0.28, c.clock!));
    else if (c.type === 'fader') parts.push(fader(cx, bodyTop + unit * 0.1, bodyHeight - unit * 0.2, c.db!, Math.min(cell, unit * 1.2)));
    else parts.push(states(cx, bodyTop + unit * 0.25, Math.min(cell, unit), Math.min(unit * 0.16, (bodyHeight / (c.states!.length + 1)) * 0.6), c.states!, c.state!));
  });
  return parts.join('');
}

export function photoSvg(photo: SyntheticPhoto): string {
  const background = `<rect width="${photo.width}" height="${photo.height}" fill="#3a3a3e"/>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${photo.width}" height="${photo.height}">${background}${photo.devices.map((d) => panel(d, photo)).join('')}</svg>`;
}

/** The photo as a JPEG (no metadata), and its label file. */
export async function renderPhoto(photo: SyntheticPhoto): Promise<{ jpeg: Buffer; label: PhotoLabel }> {
  const jpeg = await sharp(Buffer.from(photoSvg(photo))).flatten({ background: '#3a3a3e' }).jpeg({ quality: 88 }).toBuffer();
  return { jpeg, label: labelOf(photo) };
}

export function labelOf(photo: SyntheticPhoto): PhotoLabel {
  return {
    description: photo.description,
    synthetic: true,
    devices: photo.devices.map((d) => ({
      brand: d.brand,
      model: d.model,
      category: d.category,
      serial: d.serial,
      bbox: d.box,
      controls: d.controls.map((c) => ({
        label: c.label,
        ...(c.section ? { section: c.section } : {}),
        type: c.type,
        ...(c.type === 'knob' ? { clock: c.clock } : c.type === 'fader' ? { db: c.db } : { state: c.state }),
      })),
    })),
  };
}

const k = (label: string, clock: string, section?: string): SyntheticControl => ({ label, type: 'knob', clock, ...(section ? { section } : {}) });
const sel = (label: string, all: string[], state: string, section?: string): SyntheticControl => ({
  label,
  type: 'selector',
  states: all,
  state,
  ...(section ? { section } : {}),
});
const sw = (label: string, all: string[], state: string, type: 'switch' | 'button' = 'switch', section?: string): SyntheticControl => ({
  label,
  type,
  states: all,
  state,
  ...(section ? { section } : {}),
});

/** The shipped set (`apps/sessionpix/eval-set/`), written by `npm run eval:render-set`. */
export const SYNTHETIC_SET: readonly SyntheticPhoto[] = [
  {
    name: 'compressor-1176',
    description: 'One rack compressor with four knobs, two selectors and a legible serial.',
    width: 2800,
    height: 1000,
    devices: [
      {
        brand: 'Universal Audio',
        model: '1176LN',
        category: 'compressor',
        serial: 'UA 11764',
        box: { x: 0.03, y: 0.1, w: 0.94, h: 0.8 },
        color: '#2b2f36',
        controls: [
          k('INPUT', '2:00'),
          k('OUTPUT', '10:30'),
          k('ATTACK', '3:00'),
          k('RELEASE', '9:00'),
          sel('RATIO', ['4', '8', '12', '20'], '8'),
          sel('METER', ['GR', '+8', '+4', 'OFF'], 'GR'),
        ],
      },
    ],
  },
  {
    name: 'eq-pultec',
    description: 'A passive program equaliser, controls in LOW and HIGH sections, no serial in view.',
    width: 2760,
    height: 1040,
    devices: [
      {
        brand: 'Pultec',
        model: 'EQP-1A',
        category: 'eq',
        serial: null,
        box: { x: 0.03, y: 0.1, w: 0.94, h: 0.8 },
        color: '#4a5a6a',
        controls: [
          sel('LOW FREQUENCY', ['20', '30', '60', '100'], '60', 'LOW'),
          k('BOOST', '1:00', 'LOW'),
          k('ATTEN', '7:00', 'LOW'),
          sel('HIGH FREQUENCY', ['3', '5', '8', '10', '12', '16'], '10', 'HIGH'),
          k('BANDWIDTH', '12:00', 'HIGH'),
          k('BOOST', '11:00', 'HIGH'),
          sw('EQ', ['OUT', 'IN'], 'IN'),
        ],
      },
    ],
  },
  {
    name: 'pedals-three',
    description: 'Three pedals side by side; only the middle one shows a serial.',
    width: 3000,
    height: 1400,
    devices: [
      {
        brand: 'Electro-Harmonix',
        model: 'Big Muff Pi',
        category: 'pedal',
        serial: null,
        box: { x: 0.03, y: 0.12, w: 0.29, h: 0.76 },
        color: '#8d8d8d',
        controls: [k('VOLUME', '12:00'), k('TONE', '10:00'), k('SUSTAIN', '3:00')],
      },
      {
        brand: 'Ibanez',
        model: 'TS808',
        category: 'pedal',
        serial: '2204813',
        box: { x: 0.355, y: 0.12, w: 0.29, h: 0.76 },
        color: '#2f7a3c',
        controls: [k('OVERDRIVE', '9:00'), k('TONE', '12:00'), k('LEVEL', '2:00')],
      },
      {
        brand: 'BOSS',
        model: 'DS-1',
        category: 'pedal',
        serial: null,
        box: { x: 0.68, y: 0.12, w: 0.29, h: 0.76 },
        color: '#c4661f',
        controls: [k('TONE', '1:00'), k('LEVEL', '11:00'), k('DIST', '4:00')],
      },
    ],
  },
  {
    name: 'rack-two-units',
    description: 'Two rack units, one above the other: a compressor and a preamp with EQ.',
    width: 2900,
    height: 1300,
    devices: [
      {
        brand: 'dbx',
        model: '160A',
        category: 'compressor',
        serial: '160A-40127',
        box: { x: 0.04, y: 0.06, w: 0.92, h: 0.4 },
        color: '#262626',
        controls: [k('THRESHOLD', '11:00'), k('COMPRESSION', '1:00'), k('OUTPUT GAIN', '12:00'), sw('OVEREASY', ['OFF', 'ON'], 'ON', 'button')],
      },
      {
        brand: 'Neve',
        model: '1073',
        category: 'preamp',
        serial: null,
        box: { x: 0.04, y: 0.54, w: 0.92, h: 0.4 },
        color: '#56606b',
        controls: [
          k('12K', '2:00', 'EQ'),
          k('MID GAIN', '10:00', 'EQ'),
          k('LOW GAIN', '12:00', 'EQ'),
          sel('HIGH PASS', ['OFF', '50', '80', '160', '300'], '80', 'EQ'),
          k('OUTPUT', '3:00'),
        ],
      },
    ],
  },
  {
    name: 'console-channel',
    description: 'One console channel: pan and aux knobs, solo and cut buttons, and a fader at -5 dB.',
    width: 2000,
    height: 1500,
    devices: [
      {
        brand: 'Solid State Logic',
        model: 'SL 4000 E channel',
        category: 'console',
        serial: null,
        box: { x: 0.05, y: 0.05, w: 0.9, h: 0.9 },
        color: '#3c3f44',
        controls: [
          k('AUX 1', '10:00', 'SENDS'),
          k('PAN', '12:00', 'OUTPUT'),
          sw('SOLO', ['OFF', 'ON'], 'OFF', 'button', 'OUTPUT'),
          sw('CUT', ['OFF', 'ON'], 'ON', 'button', 'OUTPUT'),
          { label: 'FADER', section: 'OUTPUT', type: 'fader', db: -5 },
        ],
      },
    ],
  },
];
