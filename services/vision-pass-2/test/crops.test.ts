import { fitWithin, halfMasterSuffices, imageProblem, planCrops, type PlannedCrop, scaleRegion } from '@sessionpix/vision';
import sharp from 'sharp';
import { cutCrops } from '../src/crops';

/** A 3000 × 2000 master: a smooth gradient, with one flat colour inside each device's box. */
const MASTER = { width: 3000, height: 2000 };
const COLOURS = [
  [200, 40, 40],
  [40, 200, 40],
  [40, 40, 200],
] as const;
const BOXES = [0, 1, 2].map((i) => ({ x: 0.1 + i * 0.3, y: 0.15 + i * 0.25, w: 0.25, h: 0.2 }));

async function makeMaster(): Promise<Buffer> {
  const px = Buffer.alloc(MASTER.width * MASTER.height * 3);
  for (let y = 0; y < MASTER.height; y++) {
    for (let x = 0; x < MASTER.width; x++) {
      const i = (y * MASTER.width + x) * 3;
      const [u, v] = [x / MASTER.width, y / MASTER.height];
      const box = BOXES.findIndex((b) => u >= b.x && u < b.x + b.w && v >= b.y && v < b.y + b.h);
      const [r, g, b] = box >= 0 ? COLOURS[box]! : [(x * 255) / MASTER.width, (y * 255) / MASTER.height, 128];
      px[i] = r;
      px[i + 1] = g;
      px[i + 2] = b;
    }
  }
  return sharp(px, { raw: { ...MASTER, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

const plan = (boxes: ReadonlyArray<(typeof BOXES)[number]>) => planCrops(boxes.map((bbox) => ({ bbox })), MASTER, fitWithin(MASTER, 1568, 1_150_000));

/** The crop as a straightforward pipeline cuts it: the reference the shared decode must match. */
async function reference(master: Buffer, p: PlannedCrop): Promise<Buffer> {
  return sharp(master).extract(p.region).resize(p.out.width, p.out.height, { fit: 'fill' }).raw().toBuffer();
}

async function meanDifference(jpeg: Buffer, raw: Buffer): Promise<number> {
  const decoded = await sharp(jpeg).raw().toBuffer();
  expect(decoded.length).toBe(raw.length);
  let sum = 0;
  for (let i = 0; i < raw.length; i++) sum += Math.abs(decoded[i]! - raw[i]!);
  return sum / raw.length;
}

describe('pass 2 crops', () => {
  let master: Buffer;
  beforeAll(async () => {
    master = await makeMaster();
  });

  it('cuts a lone crop at its planned size, as a metadata-free JPEG of the device', async () => {
    // A larger box centred on the green one, so the crop is scaled down.
    const plans = plan([{ x: 0.225, y: 0.2, w: 0.6, h: 0.6 }]);
    expect(plans).toHaveLength(1);
    expect(plans[0]!.out.width).toBeLessThan(plans[0]!.region.width);
    const [crop] = await cutCrops(master, plans);
    const meta = await sharp(crop!).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', plans[0]!.out.width, plans[0]!.out.height]);
    expect(imageProblem(crop!, 'jpeg')).toBeNull();
    expect(await meanDifference(crop!, await reference(master, plans[0]!))).toBeLessThan(3);
    // The middle of the crop is the device's flat green.
    const { data, info } = await sharp(crop!).raw().toBuffer({ resolveWithObject: true });
    const mid = (Math.floor(info.height / 2) * info.width + Math.floor(info.width / 2)) * info.channels;
    for (const [c, v] of COLOURS[1].entries()) expect(Math.abs(data[mid + c]! - v)).toBeLessThan(12);
  });

  it('cuts several crops from one decode, each as the lone pipeline would', async () => {
    // Three wide units, as in a rack: each crop is scaled down.
    const plans = plan([0, 1, 2].map((i) => ({ x: 0.1, y: 0.05 + i * 0.3, w: 0.8, h: 0.2 })));
    expect(plans).toHaveLength(3);
    for (const p of plans) expect(p.out.width).toBeLessThan(p.region.width);
    const crops = await cutCrops(master, plans);
    expect(crops).toHaveLength(3);
    for (const [i, p] of plans.entries()) {
      const meta = await sharp(crops[i]!).metadata();
      expect([meta.width, meta.height]).toEqual([p.out.width, p.out.height]);
      expect(imageProblem(crops[i]!, 'jpeg')).toBeNull();
      expect(await meanDifference(crops[i]!, await reference(master, p))).toBeLessThan(3);
    }
  });

  it('cuts a crop from the half-size master that matches the one cut from the master', async () => {
    // A 12 MP master with one device over about half of it: the crop, held to 1.15 MP, is sent at
    // under half the region's size yet still shows more than the overview.
    const big = { width: 4000, height: 3000 };
    const bigMaster = await sharp(master).resize(big.width, big.height, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
    const devices = [{ bbox: { x: 0.1, y: 0.1, w: 0.8, h: 0.6 } }];
    expect(halfMasterSuffices(devices, big)).toBe(true);
    const plans = planCrops(devices, big, fitWithin(big, 1568, 1_150_000));
    expect(plans).toHaveLength(1);
    const halfSize = { width: big.width / 2, height: big.height / 2 };
    const half = await sharp(bigMaster).resize(halfSize.width, halfSize.height).jpeg({ quality: 90 }).toBuffer();
    const [crop] = await cutCrops(half, plans.map((p) => ({ ...p, region: scaleRegion(p.region, big, halfSize) })));
    const meta = await sharp(crop!).metadata();
    expect([meta.width, meta.height]).toEqual([plans[0]!.out.width, plans[0]!.out.height]);
    expect(await meanDifference(crop!, await reference(bigMaster, plans[0]!))).toBeLessThan(3);
  });

  it('cuts nothing when nothing is planned', async () => {
    expect(await cutCrops(master, [])).toEqual([]);
  });
});
