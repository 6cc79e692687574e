import type { Pass1Output, Pass2Output } from '../src';

/** A schema-valid pass 1 answer: one console, one compressor with a legible serial. */
export const PASS1_ANSWER: Pass1Output = {
  devices: [
    {
      category: 'console',
      brand: 'Neve',
      model: '8078',
      model_confidence: 0.8,
      label_text: ['NEVE', 'CH 1', 'HF'],
      serial: null,
      bbox: { x: 0.05, y: 0.1, w: 0.6, h: 0.7 },
      confidence: 0.95,
    },
    {
      category: 'compressor',
      brand: 'Universal Audio',
      model: '1176LN',
      model_confidence: 0.9,
      label_text: ['1176LN', 'INPUT', 'OUTPUT', 'ATTACK', 'RELEASE'],
      serial: { raw: 'ln 12345', normalized: 'LN12345' },
      bbox: { x: 0.7, y: 0.2, w: 0.25, h: 0.1 },
      confidence: 0.9,
    },
  ],
  image_quality: { blur: false, glare: true, occluded: false, too_small: false, needs_retake: false },
};

/** A schema-valid pass 2 answer covering every control type and an unreadable control. */
export const PASS2_ANSWER: Pass2Output = {
  devices: [
    {
      device_index: 1,
      controls: [
        { label: 'INPUT', section: null, type: 'knob', position: { clock: '2:00', travel: 0.7, index_0_10: null }, readable: true, unreadable_reason: null, confidence: 0.8, image_index: 2 },
        { label: 'RATIO', section: null, type: 'button', position: { state: '4' }, readable: true, unreadable_reason: null, confidence: 0.9, image_index: 2 },
        { label: 'METER', section: null, type: 'selector', position: { state: 'GR' }, readable: true, unreadable_reason: null, confidence: 0.7, image_index: 2 },
        { label: null, section: null, type: 'meter', position: { reading: '-3' }, readable: true, unreadable_reason: null, confidence: 0.5, image_index: 2 },
      ],
    },
    {
      device_index: 0,
      controls: [
        { label: 'FADER', section: 'CH 1', type: 'fader', position: { db: -5 }, readable: true, unreadable_reason: null, confidence: 0.9, image_index: 1 },
        { label: 'PHASE', section: 'CH 1', type: 'switch', position: { state: 'OUT' }, readable: true, unreadable_reason: null, confidence: 0.9, image_index: 1 },
        { label: 'HF', section: 'EQ', type: 'knob', position: null, readable: false, unreadable_reason: 'glare covers the knob', confidence: 0.2, image_index: 1 },
      ],
    },
  ],
};
