import { describe, expect, it } from 'vitest';
import { CROP_MAX_EDGE, CROP_MAX_PIXELS, fitWithin, halfMasterSuffices, planCrops, scaleRegion } from '../src';

const MASTER = { width: 4000, height: 3000 };
const OVERVIEW = fitWithin(MASTER, 1568, 1_150_000);
const unit = (i: number) => ({ bbox: { x: 0.2, y: 0.08 + i * 0.22, w: 0.6, h: 0.18 } });

describe('device crops for pass 2', () => {
  it('plans one crop per device of a four-unit rack, numbered after the overview, within 1568 px and 1.15 MP, inside the master', () => {
    const plans = planCrops([0, 1, 2, 3].map(unit), MASTER, OVERVIEW);
    expect(plans.map((p) => [p.device_index, p.image_index, p.label])).toEqual([
      [0, 2, 'crop of device 1'],
      [1, 3, 'crop of device 2'],
      [2, 4, 'crop of device 3'],
      [3, 5, 'crop of device 4'],
    ]);
    for (const p of plans) {
      expect(Math.max(p.out.width, p.out.height)).toBeLessThanOrEqual(CROP_MAX_EDGE);
      expect(p.out.width * p.out.height).toBeLessThanOrEqual(CROP_MAX_PIXELS);
      expect(p.region.left).toBeGreaterThanOrEqual(0);
      expect(p.region.top).toBeGreaterThanOrEqual(0);
      expect(p.region.left + p.region.width).toBeLessThanOrEqual(MASTER.width);
      expect(p.region.top + p.region.height).toBeLessThanOrEqual(MASTER.height);
      // The rough box is widened a little on each side.
      expect(p.region.width).toBeGreaterThan(0.6 * MASTER.width);
      expect(p.out.width / p.region.width).toBeCloseTo(p.out.height / p.region.height, 1);
      expect(p.gain).toBeGreaterThan(1.25);
    }
  });

  it('sends no crop that would show nothing the overview does not (a small photo, or a device filling the frame)', () => {
    expect(planCrops([0, 1].map(unit), { width: 640, height: 480 }, { width: 640, height: 480 })).toEqual([]);
    expect(planCrops([{ bbox: { x: 0, y: 0, w: 1, h: 1 } }], MASTER, OVERVIEW)).toEqual([]);
  });

  it('keeps within 20 images a request: the 19 largest devices get crops, still numbered in device order', () => {
    const devices = Array.from({ length: 25 }, (_, i) => ({ bbox: { x: (i % 5) * 0.2, y: Math.floor(i / 5) * 0.2, w: i === 3 ? 0.02 : 0.19, h: 0.19 } }));
    const plans = planCrops(devices, MASTER, OVERVIEW);
    expect(plans).toHaveLength(19);
    expect(plans.map((p) => p.image_index)).toEqual(Array.from({ length: 19 }, (_, i) => i + 2));
    expect(plans.map((p) => p.device_index)).not.toContain(3);
    expect([...plans.map((p) => p.device_index)].sort((a, b) => a - b)).toEqual(plans.map((p) => p.device_index));
  });

  it('never enlarges: a small device is sent at the master’s own resolution', () => {
    const [plan] = planCrops([{ bbox: { x: 0.5, y: 0.5, w: 0.05, h: 0.04 } }], MASTER, OVERVIEW);
    expect(plan!.out).toEqual({ width: plan!.region.width, height: plan!.region.height });
    expect(plan!.region.width).toBeLessThan(400);
  });

  it('cuts from the half-size master only when every crop is sent at half its region or less', () => {
    // One device filling most of the frame: its crop is held to 1.15 MP, far under half the region.
    expect(halfMasterSuffices([{ bbox: { x: 0.1, y: 0.25, w: 0.8, h: 0.5 } }], { width: 3024, height: 4032 })).toBe(true);
    // A rack unit is wide and flat: 1568 px across from about 2700 needs more than half.
    expect(halfMasterSuffices([0, 1, 2, 3].map(unit), MASTER)).toBe(false);
    // One device that needs the detail is enough to read the master.
    expect(halfMasterSuffices([{ bbox: { x: 0.1, y: 0.25, w: 0.8, h: 0.5 } }, unit(0)], MASTER)).toBe(false);
    // A small device is sent at the master's own resolution.
    expect(halfMasterSuffices([{ bbox: { x: 0.5, y: 0.5, w: 0.05, h: 0.04 } }], MASTER)).toBe(false);
  });

  it('maps a region onto a smaller copy of the master, inside its bounds', () => {
    const half = { width: 2000, height: 1500 };
    expect(scaleRegion({ left: 400, top: 300, width: 2000, height: 1000 }, MASTER, half)).toEqual({ left: 200, top: 150, width: 1000, height: 500 });
    expect(scaleRegion({ left: 401, top: 301, width: 3599, height: 2699 }, MASTER, half)).toEqual({ left: 200, top: 150, width: 1800, height: 1350 });
    // An odd-sized master: its half copy is rounded up, and the region still ends inside it.
    const odd = { width: 4001, height: 3001 };
    const oddHalf = { width: 2001, height: 1501 };
    const r = scaleRegion({ left: 0, top: 0, width: 4001, height: 3001 }, odd, oddHalf);
    expect(r).toEqual({ left: 0, top: 0, width: 2001, height: 1501 });
    // The same size: unchanged.
    expect(scaleRegion({ left: 7, top: 9, width: 100, height: 50 }, MASTER, MASTER)).toEqual({ left: 7, top: 9, width: 100, height: 50 });
  });
});
