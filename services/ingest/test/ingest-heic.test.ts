import sharp from 'sharp';
import type { TestOrg } from '../../gateway/test/helpers';
import { download, type Stack, startStack } from '../../gateway/test/stack';
import { panelHeic } from './helpers/heif';

describe('ingest: HEIC', () => {
  let stack: Stack;
  let org: TestOrg;
  let collectionId: string;

  beforeAll(async () => {
    stack = await startStack('ingestheic');
    org = await stack.newOrg('Heif Hall');
    collectionId = await stack.newCollection(org);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('turns an iPhone-style HEIC into a JPEG master, analysis rendition and WebP thumbnail', async () => {
    const res = await stack.upload(org, collectionId, [{ name: 'panel.heic', bytes: panelHeic(), contentType: 'image/heic' }]).expect(202);
    const item = await stack.waitForStatus(org, res.body.items[0].id, ['paused', 'rejected', 'failed'], 45_000);
    expect(item).toMatchObject({ status: 'paused', reasonCode: 'vision_not_configured', width: 640, height: 480 });
    const formats = await Promise.all(
      (['master', 'analysis', 'thumbnail'] as const).map(async (k) => (await sharp(await download(item.renditions[k]!.url)).metadata()).format),
    );
    expect(formats).toEqual(['jpeg', 'jpeg', 'webp']);
    const keys = await stack.itemKeys(org.orgId, item.id);
    expect(keys.some((k) => k.endsWith('/original'))).toBe(false);
  });
});
