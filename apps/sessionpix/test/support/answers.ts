import { createHash } from 'node:crypto';
import type { RecordedCall, Responder } from '@sessionpix/testing';
import { clockToTravel, type Control, type Pass1Device, type Pass1Output, type Pass2Output } from '@sessionpix/vision';

/**
 * A stand-in "model" that answers like Claude would: pass 1 names one or two pieces of gear
 * (brand, model, a legible serial, a box), chosen from the image bytes so each photo has its
 * own answer; pass 2 records controls for exactly the devices pass 1 sent back as context.
 * Every answer it gives is remembered by image hash, so a test can check what was stored.
 */
export interface RecallModel {
  responder: Responder;
  /** Answers given, keyed by sha256 of the (first) image of the call. */
  pass1: Map<string, Pass1Output>;
  pass2: Map<string, Pass2Output>;
}

const GEAR: Array<Omit<Pass1Device, 'bbox' | 'serial' | 'confidence' | 'model_confidence'> & { serial: string }> = [
  { category: 'compressor', brand: 'Universal Audio', model: '1176LN', label_text: ['INPUT', 'OUTPUT', 'ATTACK', 'RELEASE'], serial: 'UA 11764' },
  { category: 'eq', brand: 'Pultec', model: 'EQP-1A', label_text: ['LOW FREQUENCY', 'BOOST', 'ATTEN'], serial: 'P-2231' },
  { category: 'synth', brand: 'Moog', model: 'Minimoog Model D', label_text: ['OSCILLATOR BANK', 'MIXER'], serial: '10457' },
  { category: 'drum_machine', brand: 'Roland', model: 'TR-808', label_text: ['TEMPO', 'ACCENT'], serial: '073 512' },
  { category: 'preamp', brand: 'Neve', model: '1073', label_text: ['MIC', 'LINE', 'HIGH PASS'], serial: 'N 1073-88' },
  { category: 'pedal', brand: 'Electro-Harmonix', model: 'Big Muff Pi', label_text: ['VOLUME', 'TONE', 'SUSTAIN'], serial: 'EH 50211' },
];

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** One or two devices, picked from the image hash. */
export function pass1AnswerFor(imageHash: string): Pass1Output {
  const pick = parseInt(imageHash.slice(0, 8), 16);
  const count = 1 + (pick % 2);
  const devices: Pass1Device[] = [];
  for (let d = 0; d < count; d++) {
    const gear = GEAR[(pick + d * 5) % GEAR.length]!;
    devices.push({
      category: gear.category,
      brand: gear.brand,
      model: gear.model,
      model_confidence: 0.9,
      label_text: gear.label_text,
      serial: { raw: gear.serial, normalized: gear.serial.toUpperCase().replace(/\s+/g, '') },
      bbox: { x: 0.05, y: d === 0 ? 0.05 : 0.55, w: 0.9, h: 0.4 },
      confidence: 0.95,
    });
  }
  return { devices, image_quality: { blur: false, glare: false, occluded: false, too_small: false, needs_retake: false } };
}

const KNOB_CLOCKS = ['7:00', '10:30', '12:00', '2:00', '5:00'];

/** Controls for each pass 1 device: a knob (clock face), a fader (dB) and a switch. */
export function pass2AnswerFor(deviceCount: number, imageHash: string): Pass2Output {
  const pick = parseInt(imageHash.slice(8, 16), 16);
  return {
    devices: Array.from({ length: deviceCount }, (_, device_index) => {
      const clock = KNOB_CLOCKS[(pick + device_index) % KNOB_CLOCKS.length]!;
      const controls: Control[] = [
        {
          type: 'knob',
          label: 'GAIN',
          section: 'INPUT',
          position: { clock, travel: clockToTravel(clock) },
          readable: true,
          unreadable_reason: null,
          confidence: 0.8,
          image_index: 1,
        },
        {
          type: 'fader',
          label: 'LEVEL',
          section: null,
          position: { db: -5 },
          readable: true,
          unreadable_reason: null,
          confidence: 0.7,
          image_index: 1,
        },
        {
          type: 'switch',
          label: 'BYPASS',
          section: null,
          position: { state: device_index % 2 === 0 ? 'IN' : 'OUT' },
          readable: true,
          unreadable_reason: null,
          confidence: 0.9,
          image_index: 1,
        },
      ];
      return { device_index, controls };
    }),
  };
}

/** The pass 1 devices pass 2 was given as context, read back from the request text. */
export function pass1ContextOf(call: RecordedCall): unknown[] | null {
  for (const message of call.body.messages ?? []) {
    for (const block of message.content ?? []) {
      const text = block.text;
      if (typeof text !== 'string') continue;
      const marker = 'Equipment identified in pass 1 (JSON):\n';
      if (text.startsWith(marker)) return JSON.parse(text.slice(marker.length)) as unknown[];
    }
  }
  return null;
}

/** Every text the model is shown for a call: the system prompt and the message text. */
export function promptText(call: RecordedCall): string {
  const system = (call.body.system ?? []).map((b) => b.text ?? '').join('\n');
  const messages = (call.body.messages ?? []).flatMap((m) => m.content.map((b) => b.text ?? '')).join('\n');
  return `${system}\n${messages}`;
}

export function recallModel(): RecallModel {
  const pass1 = new Map<string, Pass1Output>();
  const pass2 = new Map<string, Pass2Output>();
  const responder: Responder = (call) => {
    const image = call.images[0];
    if (!image) return undefined;
    const hash = sha256(image);
    if (call.toolName === 'equipment_identification') {
      const answer = pass1AnswerFor(hash);
      pass1.set(hash, answer);
      return answer;
    }
    if (call.toolName === 'control_positions') {
      const context = pass1ContextOf(call);
      const answer = pass2AnswerFor(context?.length ?? 0, hash);
      pass2.set(hash, answer);
      return answer;
    }
    return undefined;
  };
  return { responder, pass1, pass2 };
}
