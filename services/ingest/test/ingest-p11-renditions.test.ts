import { GetObjectCommand } from '@aws-sdk/client-s3';
import { itemObjectKey } from '@sessionpix/storage';
import sharp from 'sharp';
import type { TestOrg } from '../../gateway/test/helpers';
import { download, type ItemBody, type Stack, startStack } from '../../gateway/test/stack';
import { BLUE, decodeRaw, isNear, pixelAt, RED, SIDEWAYS, sidewaysPhoto } from './helpers/images';

const ANALYSIS_MAX_EDGE = 1568;
const ANALYSIS_MAX_PIXELS = 1_150_000;

const MARKERS = ['Owner Name', 'SessionCam', 'Exif\0\0', 'adobe:ns:meta'];

async function expectNoMetadata(bytes: Buffer, what: string): Promise<void> {
  const meta = await sharp(bytes).metadata();
  expect({ what, exif: meta.exif, xmp: meta.xmp, iptc: meta.iptc, orientation: meta.orientation }).toEqual({
    what,
    exif: undefined,
    xmp: undefined,
    iptc: undefined,
    orientation: undefined,
  });
  // Nothing of the owner, the camera or an EXIF/XMP block survives anywhere in the bytes either
  // (markers long enough never to occur by chance in compressed data).
  for (const marker of MARKERS) {
    expect(bytes.includes(Buffer.from(marker, 'latin1')), `${what}: ${JSON.stringify(marker)}`).toBe(false);
  }
}

/** Upright = the stored top-left (red) shows top-right and the stored bottom-left (blue) top-left. */
async function expectUpright(bytes: Buffer, what: string): Promise<void> {
  const pic = await decodeRaw(bytes);
  expect(pic.height, what).toBeGreaterThan(pic.width);
  const inset = (f: number, edge: number) => Math.floor(edge * f);
  expect(isNear(pixelAt(pic, pic.width - 1 - inset(0.02, pic.width), inset(0.02, pic.height)), RED), `${what}: red top-right`).toBe(true);
  expect(isNear(pixelAt(pic, inset(0.02, pic.width), inset(0.02, pic.height)), BLUE), `${what}: blue top-left`).toBe(true);
}

describe('ingest: a sideways 12 MP photo with GPS and an owner tag', () => {
  let stack: Stack;
  let org: TestOrg;
  let item: ItemBody;

  beforeAll(async () => {
    stack = await startStack('ingestp11');
    org = await stack.newOrg('Upright Audio');
    const collectionId = await stack.newCollection(org);
    const photo = await sidewaysPhoto();
    const original = await sharp(photo).metadata();
    // The fixture really is what the test claims: sideways, located, owned.
    expect([original.width, original.height, original.orientation]).toEqual([SIDEWAYS.width, SIDEWAYS.height, 6]);
    expect(original.exif && original.xmp && original.iptc).toBeTruthy();
    for (const marker of MARKERS) expect(photo.includes(Buffer.from(marker, 'latin1')), marker).toBe(true);
    const res = await stack.upload(org, collectionId, [{ name: 'IMG_0001.JPG', bytes: photo, contentType: 'image/jpeg' }]).expect(202);
    item = await stack.waitForStatus(org, res.body.items[0].id, ['paused', 'rejected', 'failed'], 45_000);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('is processed and reported upright', () => {
    expect(item).toMatchObject({ status: 'paused', reasonCode: 'vision_not_configured' });
    expect([item.width, item.height]).toEqual([SIDEWAYS.height, SIDEWAYS.width]);
  });

  it('P11: master, its half-size copy and the analysis rendition are upright and carry no location, camera or owner metadata', async () => {
    const master = await download(item.renditions.master!.url);
    const analysis = await download(item.renditions.analysis!.url);
    // The half-size copy is internal (pass 2's crops): read straight from the store.
    const half = await stack.s3Client.send(new GetObjectCommand({ Bucket: stack.s3.bucket, Key: itemObjectKey(org.orgId, item.id, 'masterHalf') }));
    const masterHalf = Buffer.from(await half.Body!.transformToByteArray());
    expect(half.ContentType).toBe('image/jpeg');
    const halfMeta = await sharp(masterHalf).metadata();
    expect([halfMeta.width, halfMeta.height]).toEqual([Math.ceil(item.width! / 2), Math.ceil(item.height! / 2)]);
    for (const [what, bytes] of [['master', master], ['master half', masterHalf], ['analysis', analysis]] as const) {
      expect((await sharp(bytes).metadata()).format, what).toBe('jpeg');
      await expectNoMetadata(bytes, what);
      await expectUpright(bytes, what);
    }
    const a = await sharp(analysis).metadata();
    expect(Math.max(a.width!, a.height!)).toBeLessThanOrEqual(ANALYSIS_MAX_EDGE);
    expect(a.width! * a.height!).toBeLessThanOrEqual(ANALYSIS_MAX_PIXELS);
  });

  it('writes a metadata-free WebP thumbnail', async () => {
    const thumb = await download(item.renditions.thumbnail!.url);
    const meta = await sharp(thumb).metadata();
    expect(meta.format).toBe('webp');
    expect(meta.height!).toBeGreaterThan(meta.width!);
    await expectNoMetadata(thumb, 'thumbnail');
  });

  it('deletes the raw upload from the store', async () => {
    const keys = await stack.itemKeys(org.orgId, item.id);
    expect(keys.some((k) => k.endsWith('/original'))).toBe(false);
    expect(keys.map((k) => k.slice(k.lastIndexOf('/') + 1))).toEqual(['analysis.jpg', 'master-half.jpg', 'master.jpg', 'thumb.webp']);
  });
});
