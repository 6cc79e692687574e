/**
 * The whole spine on real Redis and PostgreSQL, the S3 stand-in and the Converse stand-in:
 * twenty distinct photos go in through the gateway and come out analysed, with every
 * transition pushed to the collection's event stream.
 */
import { AI_OUTPUT_DISCLAIMER } from '@sessionpix/contracts';
import { Pass1OutputSchema, Pass2OutputSchema, PROMPT_VERSION, SCHEMA_VERSION } from '@sessionpix/vision';
import { eventually } from '@sessionpix/testing';
import sharp from 'sharp';
import { promptText, recallModel, sha256, type RecallModel } from './support/answers';
import { distinctJpeg, exifHasGps, heicPanel, sidewaysJpegWithGps } from './support/images';
import {
  ALL_SERVICES,
  ApiClient,
  download,
  type Edges,
  type ItemBody,
  listenToCollection,
  startEdges,
  startSystem,
  type StatusEvent,
  type System,
  type TestOrg,
} from './support/system';

const PHOTOS = 20;
const ORG_NAME = 'Abbey Lane Recording Co';
const CONTACT = 'jo.engineer@abbeylane.example';
const E_MAIL = /[A-Z0-9._%+-]+@[A-Z0-9.-]+\.[A-Z]{2,}/i;

/** Statuses the stream reported for each item, in arrival order. */
function statusesByItem(events: StatusEvent[]): Map<string, string[]> {
  const byItem = new Map<string, string[]>();
  for (const e of events) byItem.set(e.itemId, [...(byItem.get(e.itemId) ?? []), e.status]);
  return byItem;
}

describe('spine: photos in, recall sheets out', () => {
  let edges: Edges;
  let system: System;
  let api: ApiClient;
  let model: RecallModel;
  let org: TestOrg;
  let collectionId: string;
  let stream: { events: StatusEvent[]; close(): void };
  let ids: string[];
  let files: Array<{ name: string; bytes: Buffer }>;
  let settled: ItemBody[];
  /** Item id → sha256 of its analysis rendition, the image the model was sent. */
  const renditionHash = new Map<string, string>();

  beforeAll(async () => {
    model = recallModel();
    edges = await startEdges('spine', { responder: model.responder });
    system = await startSystem(edges, ALL_SERVICES);
    api = new ApiClient(system);
    org = await api.newOrg(ORG_NAME);
    // Personal data the user typed in: none of it may reach a prompt (P11).
    collectionId = await api.newCollection(org, `Desk recall for ${CONTACT}`);

    files = [
      { name: `${CONTACT} panel.heic`, bytes: heicPanel() },
      { name: 'rack-sideways.jpg', bytes: await sidewaysJpegWithGps(101) },
    ];
    for (let i = 0; files.length < PHOTOS; i++) files.push({ name: `desk-${i}.jpg`, bytes: await distinctJpeg(i) });
    expect(new Set(files.map((f) => sha256(f.bytes))).size).toBe(PHOTOS);

    stream = await listenToCollection(system.proc.httpUrl!, collectionId, org.headers);
    ids = await api.upload(org, collectionId, files);
    settled = await api.settle(org, collectionId, PHOTOS, ['analyzed', 'failed', 'rejected', 'paused'], 60_000);
    for (const id of ids) {
      const item = await api.item(org, id);
      renditionHash.set(id, sha256(await download(item.renditions.analysis!.url)));
    }
  }, 120_000);

  afterAll(async () => {
    stream?.close();
    await system?.close();
    await edges?.close();
  });

  it('analyses all 20 distinct photos (one HEIC, one sideways with GPS) with exactly two model calls each', async () => {
    expect(ids).toHaveLength(PHOTOS);
    expect(settled.map((i) => `${i.status}${i.reasonCode ? ` ${i.reasonCode}: ${i.reason}` : ''}`)).toEqual(
      Array(PHOTOS).fill('analyzed'),
    );
    for (const id of ids) {
      const item = await api.item(org, id);
      expect(item.results.pass1).toBeDefined();
      expect(item.results.pass2).toBeDefined();
      expect(item.results.disclaimer).toBe(AI_OUTPUT_DISCLAIMER);
    }
    const heic = await api.item(org, ids[0]!);
    expect([heic.width, heic.height]).toEqual([640, 480]);
    // Stored 2048×1536 with Orientation 6: upright it is portrait.
    const sideways = await api.item(org, ids[1]!);
    expect([sideways.width, sideways.height]).toEqual([1536, 2048]);

    expect(edges.standin.calls).toHaveLength(2 * PHOTOS);
    const byTool = edges.standin.calls.map((c) => c.toolName);
    expect(byTool.filter((t) => t === 'equipment_identification')).toHaveLength(PHOTOS);
    expect(byTool.filter((t) => t === 'control_positions')).toHaveLength(PHOTOS);
    // Each item's rendition was sent once per pass.
    for (const id of ids) {
      const sent = edges.standin.calls.filter((c) => sha256(c.images[0]!) === renditionHash.get(id));
      expect(sent.map((c) => c.toolName).sort()).toEqual(['control_positions', 'equipment_identification']);
    }

    const calls = await edges.sql<{ outcome: string; attempt: number; n: string }>(
      'select outcome, attempt, count(*) as n from model_call group by outcome, attempt',
    );
    expect(calls).toEqual([{ outcome: 'ok', attempt: 1, n: String(2 * PHOTOS) }]);
  });

  it('P11: sends the model only the analysis rendition (and, in pass 2, device crops cut from the master): at most 1568 px, no EXIF, XMP, IPTC or ICC, no GPS', async () => {
    const sideways = await sharp(files[1]!.bytes).metadata();
    expect(exifHasGps(sideways.exif)).toBe(true); // the upload really carried a location
    let portrait = 0;
    for (const call of edges.standin.calls) {
      // Pass 1 sees the rendition alone; pass 2 also gets crops where they show more than it.
      if (call.toolName === 'equipment_identification') expect(call.images).toHaveLength(1);
      for (const image of call.images) {
        const meta = await sharp(image).metadata();
        expect(meta.format).toBe('jpeg');
        expect(Math.max(meta.width, meta.height)).toBeLessThanOrEqual(1568);
        expect({ exif: meta.exif, xmp: meta.xmp, iptc: meta.iptc, icc: meta.icc, orientation: meta.orientation }).toEqual({
          exif: undefined,
          xmp: undefined,
          iptc: undefined,
          icc: undefined,
          orientation: undefined,
        });
      }
      const meta = await sharp(call.images[0]!).metadata();
      if (meta.height > meta.width) portrait += 1;
    }
    // The sideways photo reached the model upright (and downsized from 2048 px), once per pass.
    expect(portrait).toBe(2);
    const upright = edges.standin.calls.find((c) => sha256(c.images[0]!) === renditionHash.get(ids[1]!))!;
    const meta = await sharp(upright.images[0]!).metadata();
    expect(meta.height).toBeGreaterThan(meta.width);
    expect(meta.height).toBeLessThan(2048);
  });

  it('P11: no prompt carries the org name, the collection name, a file name or any e-mail address', () => {
    expect(edges.standin.calls.length).toBeGreaterThan(0);
    for (const call of edges.standin.calls) {
      const text = promptText(call);
      expect(text).toContain('Answer with the');
      expect(text).not.toContain(ORG_NAME);
      expect(text).not.toContain('Desk recall');
      expect(text).not.toMatch(/desk-\d+\.jpg|rack-sideways|panel\.heic/);
      expect(text).not.toMatch(E_MAIL);
    }
  });

  it('pushes every transition of every item to the collection’s event stream', async () => {
    // Events are published after each commit and may trail the status the API reads.
    await eventually(async () => {
      const byItem = statusesByItem(stream.events);
      return ids.every((id) => byItem.get(id)?.includes('analyzed')) ? true : undefined;
    }, 10_000, 'the last analyzed events');
    const byItem = statusesByItem(stream.events);
    for (const id of ids) {
      expect({ id, statuses: byItem.get(id) }).toEqual({ id, statuses: ['uploaded', 'ingested', 'identified', 'analyzed'] });
    }
    for (const e of stream.events) expect(e.collectionId).toBe(collectionId);
  });

  it('P3: pass 1 identifies each piece of equipment with brand, model and serial; pass 2 records the position of its controls', async () => {
    for (const id of ids) {
      const item = await api.item(org, id);
      const hash = renditionHash.get(id)!;
      const pass1 = Pass1OutputSchema.parse(item.results.pass1);
      expect(pass1).toEqual(model.pass1.get(hash));
      expect(pass1.devices.length).toBeGreaterThanOrEqual(1);
      for (const device of pass1.devices) {
        expect(device.brand).toEqual(expect.any(String));
        expect(device.model).toEqual(expect.any(String));
        expect(device.serial?.normalized).toMatch(/^\S+$/);
        expect(device.bbox.w).toBeGreaterThan(0);
      }
      const pass2 = Pass2OutputSchema.parse(item.results.pass2);
      expect(pass2).toEqual(model.pass2.get(hash));
      // One entry per device pass 1 found, each with readable control positions.
      expect(pass2.devices.map((d) => d.device_index)).toEqual(pass1.devices.map((_, i) => i));
      for (const device of pass2.devices) {
        const knob = device.controls.find((c) => c.type === 'knob');
        expect(knob?.position).toEqual(expect.objectContaining({ clock: expect.stringMatching(/^\d{1,2}:\d{2}$/) }));
        expect(device.controls.find((c) => c.type === 'fader')?.position).toEqual({ db: -5 });
        expect(device.controls.find((c) => c.type === 'switch')?.position).toEqual({ state: expect.stringMatching(/^(IN|OUT)$/) });
      }
    }
    // Pass 2 was shown what pass 1 found.
    expect(new Set([...model.pass1.values()].map((a) => a.devices.length))).toEqual(new Set([1, 2]));
  });

  it('P4: stores each pass’s schema-validated JSON in the database, linked to the item, with schema, model and prompt versions', async () => {
    const rows = await edges.sql<{
      item_id: string;
      org_id: string;
      pass: number;
      schema_version: string;
      model: string;
      prompt_version: string;
      output: unknown;
    }>('select item_id, org_id, pass, schema_version, model, prompt_version, output from analysis order by item_id, pass');
    expect(rows).toHaveLength(2 * PHOTOS);
    expect(new Set(rows.map((r) => r.item_id))).toEqual(new Set(ids));
    for (const row of rows) {
      const pass = row.pass as 1 | 2;
      expect(row.org_id).toBe(org.orgId);
      expect(row.schema_version).toBe(SCHEMA_VERSION[pass]);
      expect(row.prompt_version).toBe(PROMPT_VERSION[pass]);
      expect(row.model).toBe(pass === 1 ? system.config.VISION_PASS1_MODEL : system.config.VISION_PASS2_MODEL);
      const schema = pass === 1 ? Pass1OutputSchema : Pass2OutputSchema;
      expect(schema.safeParse(row.output).success).toBe(true);
      // What the API returns is what the row holds.
      const item = await api.item(org, row.item_id);
      expect(pass === 1 ? item.results.pass1 : item.results.pass2).toEqual(row.output);
    }
  });
});
