import type { RecordedCall, Responder } from '@sessionpix/testing';
import {
  clockToTravel,
  type Control,
  type EquipmentCategory,
  fitWithin,
  type Pass1Device,
  type Pass1Output,
  type Pass2Output,
  readPixelSize,
} from '@sessionpix/vision';
import sharp from 'sharp';

/**
 * Photos of racks drawn for the tests, and a scripted model that answers for them. Each device
 * is a filled rectangle of its own colour where its box says, so a test can tell which part of
 * the master a crop was cut from. The stand-in recognises a photo by the size of the analysis
 * rendition ingest makes of it (distinct upload sizes give distinct renditions), since that is
 * the image every call carries first.
 */

export interface RackDevice {
  category: EquipmentCategory;
  brand: string | null;
  model: string | null;
  /** 0.9 unless said. */
  modelConfidence?: number;
  serial?: string | null;
  bbox: Pass1Device['bbox'];
  /** Fill colour [r, g, b]. */
  color: [number, number, number];
}

export interface RackPhoto {
  bytes: Buffer;
  width: number;
  height: number;
  /** The analysis rendition ingest will make: what identifies the photo in calls. */
  rendition: { width: number; height: number };
}

const ANALYSIS_MAX_EDGE = 1568;
const ANALYSIS_MAX_PIXELS = 1_150_000;

export async function rackPhoto(width: number, height: number, devices: readonly RackDevice[], seed = 0): Promise<RackPhoto> {
  const rects = devices
    .map((d) => {
      const [r, g, b] = d.color;
      const x = Math.round(d.bbox.x * width);
      const y = Math.round(d.bbox.y * height);
      const w = Math.round(d.bbox.w * width);
      const h = Math.round(d.bbox.h * height);
      return `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="rgb(${r},${g},${b})"/>`;
    })
    .join('');
  // A seed-dependent speck keeps photos of the same layout distinct (ingest dedupes by hash).
  const speck = `<rect x="${10 + (seed % 50)}" y="10" width="6" height="6" fill="rgb(${seed % 255},200,40)"/>`;
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${rects}${speck}</svg>`);
  const bytes = await sharp({ create: { width, height, channels: 3, background: { r: 40, g: 40, b: 44 } } })
    .composite([{ input: svg, top: 0, left: 0 }])
    .jpeg({ quality: 85 })
    .toBuffer();
  return { bytes, width, height, rendition: fitWithin({ width, height }, ANALYSIS_MAX_EDGE, ANALYSIS_MAX_PIXELS) };
}

/** Four rack units stacked, as a photo of a 4U rack shows them. */
export function fourUnitRack(names: Array<Pick<RackDevice, 'brand' | 'model' | 'category'> & Partial<RackDevice>>): RackDevice[] {
  const colors: Array<[number, number, number]> = [
    [220, 40, 40],
    [40, 200, 60],
    [50, 80, 230],
    [230, 210, 40],
  ];
  return names.slice(0, 4).map((n, i) => ({
    modelConfidence: 0.9,
    serial: null,
    bbox: { x: 0.2, y: 0.08 + i * 0.22, w: 0.6, h: 0.18 },
    color: colors[i]!,
    ...n,
  }));
}

export function pass1AnswerOf(devices: readonly RackDevice[]): Pass1Output {
  return {
    devices: devices.map((d) => ({
      category: d.category,
      brand: d.brand,
      model: d.model,
      model_confidence: d.modelConfidence ?? 0.9,
      label_text: [d.model ?? 'UNLABELLED'],
      serial: d.serial ? { raw: d.serial, normalized: d.serial.toUpperCase().replace(/\s+/g, '') } : null,
      bbox: d.bbox,
      confidence: 0.95,
      quality: { blur: false, glare: false, occluded: false, too_small: false, needs_retake: false },
    })),
    image_quality: { blur: false, glare: false, occluded: false, too_small: false, needs_retake: false },
  };
}

/** Text blocks of a call that start with `marker`, parsed as the JSON after it. */
export function contextJson<T>(call: RecordedCall, marker: string): T | null {
  for (const message of call.body.messages ?? []) {
    for (const block of message.content ?? []) {
      if (typeof block.text === 'string' && block.text.startsWith(marker)) return JSON.parse(block.text.slice(marker.length)) as T;
    }
  }
  return null;
}

export const PASS1_CONTEXT = 'Equipment identified in pass 1 (JSON):\n';
export const LAYOUTS_CONTEXT = 'Known control layouts (JSON):\n';

export interface LayoutInRequest {
  device_index: number;
  approximate?: boolean;
  controls: Array<{ label: string | null; section: string | null; type: Control['type'] }>;
}

const CLOCKS = ['7:00', '9:00', '10:30', '12:00', '1:30', '3:00', '5:00'];

/**
 * Pass 2 as a careful model would answer: every control of a known layout, in order, else two
 * controls of its own; each read from the device's crop when the request has one.
 */
export function pass2AnswerFor(call: RecordedCall): Pass2Output {
  const devices = contextJson<Array<{ device_index: number; crop_image?: string }>>(call, PASS1_CONTEXT) ?? [];
  const layouts = contextJson<LayoutInRequest[]>(call, LAYOUTS_CONTEXT) ?? [];
  return {
    devices: devices.map((d) => {
      const image = d.crop_image ? Number(d.crop_image.replace('Image ', '')) : 1;
      const layout = layouts.find((l) => l.device_index === d.device_index);
      const listed = layout?.controls ?? [
        { label: 'LEVEL', section: null, type: 'knob' as const },
        { label: 'POWER', section: null, type: 'switch' as const },
      ];
      const controls = listed.map((c, i): Control => controlFor(c, i, image));
      return { device_index: d.device_index, controls };
    }),
  };
}

function controlFor(c: { label: string | null; section: string | null; type: Control['type'] }, i: number, image_index: number): Control {
  const base = { label: c.label, section: c.section, readable: true, unreadable_reason: null, confidence: 0.8, image_index };
  switch (c.type) {
    case 'knob': {
      const clock = CLOCKS[i % CLOCKS.length]!;
      return { ...base, type: 'knob', position: { clock, travel: clockToTravel(clock), index_0_10: null } };
    }
    case 'fader':
      return { ...base, type: 'fader', position: { db: -5 } };
    case 'meter':
      return { ...base, type: 'meter', position: { reading: '-3' } };
    default:
      return { ...base, type: c.type, position: { state: i % 2 === 0 ? 'IN' : 'OUT' } };
  }
}

export type PhotoScript = {
  pass1?: (call: RecordedCall) => unknown;
  pass2?: (call: RecordedCall) => unknown;
};

/** A responder that finds the photo of each call by its rendition size and answers from its script. */
export function scriptedRacks(): { responder: Responder; register(photo: RackPhoto, devices: readonly RackDevice[], script?: PhotoScript): void } {
  const scripts = new Map<string, { devices: readonly RackDevice[]; script: PhotoScript }>();
  const keyOf = (size: { width: number; height: number }) => `${size.width}x${size.height}`;
  return {
    register(photo, devices, script = {}) {
      const key = keyOf(photo.rendition);
      if (scripts.has(key)) throw new Error(`two test photos share the rendition size ${key}`);
      scripts.set(key, { devices, script });
    },
    responder: (call) => {
      const size = call.images[0] ? readPixelSize(call.images[0]) : null;
      const found = size ? scripts.get(keyOf(size)) : undefined;
      if (!found) return undefined;
      if (call.toolName === 'equipment_identification') return found.script.pass1?.(call) ?? pass1AnswerOf(found.devices);
      if (call.toolName === 'control_positions') return found.script.pass2?.(call) ?? pass2AnswerFor(call);
      return undefined;
    },
  };
}
