/**
 * Recall-grade vision end to end, on real PostgreSQL and Redis, the S3 stand-in and the Converse
 * stand-in: rack photos in through the gateway, device crops and catalog layouts into pass 2,
 * escalation, the result cache, recall sheets and model spend out.
 */
import { AI_OUTPUT_DISCLAIMER } from '@sessionpix/contracts';
import { emForOrg } from '@sessionpix/db';
import { issueApiKey } from '@sessionpix/gateway';
import { eventually, type RecordedCall } from '@sessionpix/testing';
import { readPixelSize, type RecallSheet, SCHEMA_VERSION } from '@sessionpix/vision';
import sharp from 'sharp';
import { promptText } from './support/answers';
import {
  contextJson,
  fourUnitRack,
  type LayoutInRequest,
  LAYOUTS_CONTEXT,
  pass1AnswerOf,
  PASS1_CONTEXT,
  rackPhoto,
  type RackDevice,
  type RackPhoto,
  scriptedRacks,
} from './support/rack';
import { ALL_SERVICES, ApiClient, type Edges, startEdges, startSystem, type System, type TestOrg } from './support/system';

const ORG_NAME = 'Hollow Pine Sound Ltd';
const CONTACT = 'sam.mixer@hollowpine.example';
const E_MAIL = /[A-Z0-9._%+-]+@[A-Z0-9.-]+\.[A-Z]{2,}/i;
const PASS1 = 'equipment_identification';
const PASS2 = 'control_positions';

const RACK: RackDevice[] = fourUnitRack([
  { category: 'compressor', brand: 'Universal Audio', model: '1176LN', serial: 'UA 2044' },
  { category: 'eq', brand: 'Pultec', model: 'EQP-1A' },
  { category: 'preamp', brand: 'Acme Audio', model: 'Bucket 9' },
  { category: 'compressor', brand: 'dbx', model: '160A' },
]);

describe('recall-grade vision', () => {
  const racks = scriptedRacks();
  let edges: Edges;
  let system: System;
  let api: ApiClient;
  let org: TestOrg;
  let collectionId: string;
  /** Photos get distinct sizes: the stand-in tells them apart by their renditions. */
  let nextWidth = 4000;

  beforeAll(async () => {
    edges = await startEdges('recall', { responder: racks.responder });
    system = await startSystem(edges, ALL_SERVICES);
    api = new ApiClient(system);
    org = await api.newOrg(ORG_NAME);
    collectionId = await api.newCollection(org, `Rack recall for ${CONTACT}`);
  }, 60_000);

  afterAll(async () => {
    await system?.close();
    await edges?.close();
  });

  async function photo(devices: readonly RackDevice[], script?: Parameters<typeof racks.register>[2]): Promise<RackPhoto> {
    nextWidth -= 24;
    const made = await rackPhoto(nextWidth, 3000, devices, nextWidth);
    racks.register(made, devices, script);
    return made;
  }

  async function uploadOne(p: RackPhoto, as: TestOrg = org, collection = collectionId, name = `${CONTACT} rack.jpg`): Promise<string> {
    const [id] = await api.upload(as, collection, [{ name, bytes: p.bytes }]);
    return id!;
  }

  async function settled(as: TestOrg, id: string, statuses = ['analyzed', 'failed', 'rejected']): Promise<Awaited<ReturnType<ApiClient['item']>>> {
    return eventually(async () => {
      const item = await api.item(as, id);
      return statuses.includes(item.status) ? item : undefined;
    }, 60_000, `item ${id} to settle`);
  }

  /** Calls about one photo: the first image of each call is its rendition. */
  const about = (p: RackPhoto) => (c: RecordedCall) => {
    const size = c.images[0] ? readPixelSize(c.images[0]) : null;
    return size?.width === p.rendition.width && size.height === p.rendition.height;
  };
  const callsOf = (p: RackPhoto, tool?: string) => edges.standin.calls.filter((c) => about(p)(c) && (!tool || c.toolName === tool));

  describe('a photo of a four-unit rack', () => {
    let rack: RackPhoto;
    let itemId: string;
    let pass2Call: RecordedCall;

    beforeAll(async () => {
      rack = await photo(RACK);
      itemId = await uploadOne(rack);
      const item = await settled(org, itemId);
      expect(`${item.status} ${item.reasonCode ?? ''}`).toBe('analyzed ');
      [pass2Call] = callsOf(rack, PASS2);
    }, 90_000);

    it('sends pass 2 the overview and a crop of each device, labelled in order, each ≤ 1568 px and 1.15 MP, without metadata', async () => {
      expect(callsOf(rack, PASS1)).toHaveLength(1);
      expect(callsOf(rack, PASS2)).toHaveLength(1);
      expect(pass2Call.images).toHaveLength(5);
      const labels = (pass2Call.body.messages ?? []).flatMap((m) => m.content.map((b) => b.text)).filter((t) => t?.startsWith('Image '));
      expect(labels).toEqual([
        'Image 1 (overview)',
        'Image 2 (crop of device 1)',
        'Image 3 (crop of device 2)',
        'Image 4 (crop of device 3)',
        'Image 5 (crop of device 4)',
      ]);
      for (const [i, image] of pass2Call.images.entries()) {
        const meta = await sharp(image).metadata();
        expect(meta.format).toBe('jpeg');
        expect(Math.max(meta.width, meta.height)).toBeLessThanOrEqual(1568);
        expect(meta.width * meta.height).toBeLessThanOrEqual(1_150_000);
        expect(image.length).toBeLessThanOrEqual(3_750_000);
        expect({ exif: meta.exif, xmp: meta.xmp, iptc: meta.iptc, icc: meta.icc, orientation: meta.orientation }).toEqual({
          exif: undefined,
          xmp: undefined,
          iptc: undefined,
          icc: undefined,
          orientation: undefined,
        });
        if (i === 0) continue;
        // The crop shows its own device: the middle of it is that device's colour, at a higher resolution than the overview.
        expect(meta.width).toBeGreaterThan(rack.rendition.width * RACK[i - 1]!.bbox.w * 1.25);
        const { data, info } = await sharp(image)
          .extract({ left: Math.floor(meta.width * 0.25), top: Math.floor(meta.height * 0.25), width: Math.floor(meta.width / 2), height: Math.floor(meta.height / 2) })
          .raw()
          .toBuffer({ resolveWithObject: true });
        const mean = [0, 1, 2].map((c) => {
          let sum = 0;
          for (let p = c; p < data.length; p += info.channels) sum += data[p]!;
          return sum / (data.length / info.channels);
        });
        RACK[i - 1]!.color.forEach((v, c) => expect(Math.abs(mean[c]! - v), `crop ${i} channel ${c}`).toBeLessThan(20));
      }
      // The context tells the model which image is which device's crop.
      const context = contextJson<Array<{ device_index: number; crop_image?: string }>>(pass2Call, PASS1_CONTEXT)!;
      expect(context.map((d) => [d.device_index, d.crop_image])).toEqual([
        [0, 'Image 2'],
        [1, 'Image 3'],
        [2, 'Image 4'],
        [3, 'Image 5'],
      ]);
    });

    it('gives pass 2 the catalog layout of each device that matched one; a device that matched none keeps its identity', async () => {
      const layouts = contextJson<LayoutInRequest[]>(pass2Call, LAYOUTS_CONTEXT)!;
      expect(layouts.map((l) => l.device_index)).toEqual([0, 1, 3]); // Acme Bucket 9 is in no catalog
      const ua = layouts.find((l) => l.device_index === 0)!;
      expect(ua.approximate).toBe(true);
      expect(ua.controls.map((c) => c.label)).toEqual(expect.arrayContaining(['INPUT', 'OUTPUT', 'ATTACK', 'RELEASE', 'RATIO']));
      const rows = await edges.sql<{ details: { catalog_matches: Array<{ device_index: number; slug: string }> } }>(
        'select details from analysis where item_id = $1 and pass = 1',
        [itemId],
      );
      expect(rows[0]!.details.catalog_matches.map((m) => [m.device_index, m.slug])).toEqual([
        [0, 'universal-audio-1176ln'],
        [1, 'pultec-eqp-1a'],
        [3, 'dbx-160a'],
      ]);
      const sheet = (await api.http.get(`/v1/items/${itemId}/recall-sheet`).set(org.headers).expect(200)).body as RecallSheet;
      expect(sheet.devices[2]).toMatchObject({ brand: 'Acme Audio', model: 'Bucket 9', catalog: null });
      expect(sheet.devices[0]!.catalog).toMatchObject({ slug: 'universal-audio-1176ln', layout_approximate: true });
    });

    it('P11: the requests carry no org name, collection name, file name or e-mail address; the crops come from the metadata-free master', () => {
      for (const call of callsOf(rack)) {
        const text = promptText(call);
        expect(text).not.toContain(ORG_NAME);
        expect(text).not.toContain('Rack recall');
        expect(text).not.toContain('rack.jpg');
        expect(text).not.toMatch(E_MAIL);
        expect(JSON.stringify(call.body)).not.toContain(org.orgId);
      }
    });

    it('P12: the prompts of both passes tell the model to ignore people and never describe them', () => {
      for (const call of callsOf(rack)) {
        const system = (call.body.system ?? []).map((b) => b.text ?? '').join('\n');
        expect(system).toMatch(/People may appear in the photos\. Ignore them\./);
        expect(system).toMatch(/Do not describe, identify, count or mention any person/);
      }
    });

    it('P13: the recall sheet carries the disclaimer as JSON, CSV and text, with controls grouped by section', async () => {
      const json = (await api.http.get(`/v1/items/${itemId}/recall-sheet`).set(org.headers).expect(200)).body as RecallSheet;
      expect(json.disclaimer).toBe(AI_OUTPUT_DISCLAIMER);
      expect(json.devices).toHaveLength(4);
      expect(json.devices[0]).toMatchObject({ number: 1, brand: 'Universal Audio', model: '1176LN', serial: { raw: 'UA 2044', normalized: 'UA2044' } });
      const pultec = json.devices[1]!;
      expect(pultec.sections.map((s) => s.name)).toEqual(['LOW', 'HIGH', null]);
      expect(pultec.sections[0]!.controls[0]).toMatchObject({ label: 'LOW FREQUENCY', type: 'selector', image: 'Image 3 (crop of device 2)' });
      const knob = json.devices[0]!.sections.flatMap((s) => s.controls).find((c) => c.type === 'knob')!;
      expect(knob).toMatchObject({ position: '7:00', clock: '7:00', travel: 0, readable: true });

      const csv = await api.http.get(`/v1/items/${itemId}/recall-sheet?format=csv`).set(org.headers).expect(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      const lines = csv.text.trim().split('\r\n');
      expect(lines[0]).toBe(`"Disclaimer: ${AI_OUTPUT_DISCLAIMER}"`); // one quoted cell: the sentence has commas
      expect(lines[1]).toMatch(/^device,category,brand,model,serial,catalog,section,label,type,position/);
      expect(lines.length - 2).toBe(json.devices.reduce((n, d) => n + d.controls_total, 0));

      const text = await api.http.get(`/v1/items/${itemId}/recall-sheet?format=text`).set(org.headers).expect(200);
      expect(text.headers['content-type']).toMatch(/^text\/plain/);
      expect(text.text).toContain(AI_OUTPUT_DISCLAIMER);
      expect(text.text).toContain('Device 1: Universal Audio 1176LN (compressor)');
      expect(text.text).toContain('Serial: UA 2044');
    });

    it('answers 404 for another org and 400 for an unknown format', async () => {
      const other = await api.newOrg('Somebody Else');
      await api.http.get(`/v1/items/${itemId}/recall-sheet`).set(other.headers).expect(404);
      const bad = await api.http.get(`/v1/items/${itemId}/recall-sheet?format=pdf`).set(org.headers).expect(400);
      expect(bad.body.code).toBe('validation_failed');
    });

    it('records each call with tokens, latency and cost, and reports spend per day and pass to admins only (no org label in metrics)', async () => {
      const rows = await edges.sql<{ pass: number; attempt: number; model: string; input_tokens: number; latency_ms: number; cost_micro_usd: string; price_table_version: string }>(
        'select pass, attempt, model, input_tokens, latency_ms, cost_micro_usd, price_table_version from model_call where item_id = $1 order by pass',
        [itemId],
      );
      expect(rows.map((r) => [r.pass, r.attempt, r.model])).toEqual([
        [1, 1, system.config.VISION_PASS1_MODEL],
        [2, 1, system.config.VISION_PASS2_MODEL],
      ]);
      // Pass 2 carries four crops besides the overview: many more image tokens than pass 1.
      expect(rows[1]!.input_tokens).toBeGreaterThan(rows[0]!.input_tokens + 4 * 500);
      for (const r of rows) {
        expect(Number(r.cost_micro_usd)).toBeGreaterThan(0);
        expect(r.price_table_version).toBe('2025-11-list');
      }

      await api.http.get('/v1/usage/model-spend').set(org.headers).expect(403); // a member key
      const em = emForOrg(system.orm, org.orgId);
      const admin = issueApiKey(em, org.orgId, 'spend reader', system.config.apiKeyPepper, 'admin');
      await em.flush();
      const spend = await api.http.get('/v1/usage/model-spend').set({ authorization: `Bearer ${admin.apiKey}` }).expect(200);
      const today = new Date().toISOString().slice(0, 10);
      expect(spend.body.to).toBe(today);
      const costs = await edges.sql<{ pass: number; calls: string; cost: string }>(
        'select pass, count(*) as calls, sum(cost_micro_usd) as cost from model_call where org_id = $1 group by pass order by pass',
        [org.orgId],
      );
      expect(spend.body.byPass.map((p: { pass: number; calls: number; costMicroUsd: number }) => [p.pass, p.calls, p.costMicroUsd])).toEqual(
        costs.map((c) => [c.pass, Number(c.calls), Number(c.cost)]),
      );
      expect(spend.body.days.every((d: { day: string }) => d.day === today)).toBe(true);
      expect(spend.body.priceTableVersions).toEqual(['2025-11-list']);

      const metrics = await (await fetch(`${system.proc.opsUrl}/metrics`)).text();
      expect(metrics).toMatch(/sessionpix_model_cost_micro_usd_total\{pass="2"\} \d+/);
      expect(metrics).toMatch(/sessionpix_model_tokens_total\{pass="1",kind="input"\} \d+/);
      expect(metrics.split('\n').filter((l) => l.startsWith('sessionpix_model') && /org/i.test(l))).toEqual([]);
    });
  });

  it('escalates an unsure pass 1 answer to the escalation model and keeps its answer', async () => {
    const devices = fourUnitRack([
      { category: 'compressor', brand: 'Universal Audio', model: '1176LN' },
      { category: 'eq', brand: 'API', model: '550A' },
    ]);
    const unsure = pass1AnswerOf(devices.map((d, i) => ({ ...d, model: i === 1 ? 'Maybe 550' : d.model, modelConfidence: i === 1 ? 0.3 : 0.9 })));
    const p = await photo(devices, {
      pass1: (call) => (call.modelId === system.config.VISION_PASS1_MODEL ? unsure : undefined),
    });
    const id = await uploadOne(p);
    expect((await settled(org, id)).status).toBe('analyzed');
    const pass1Calls = callsOf(p, PASS1);
    expect(pass1Calls.map((c) => c.modelId)).toEqual([system.config.VISION_PASS1_MODEL, system.config.VISION_PASS1_ESCALATION_MODEL]);
    const [stored] = await edges.sql<{ model: string; output: { devices: Array<{ model: string }> }; schema_version: string }>(
      'select model, output, schema_version from analysis where item_id = $1 and pass = 1',
      [id],
    );
    expect(stored!.model).toBe(system.config.VISION_PASS1_ESCALATION_MODEL);
    expect(stored!.schema_version).toBe(SCHEMA_VERSION[1]);
    expect(stored!.output.devices.map((d) => d.model)).toEqual(['1176LN', '550A']);
    const calls = await edges.sql<{ model: string; outcome: string }>('select model, outcome from model_call where item_id = $1 and pass = 1 order by attempt', [id]);
    expect(calls).toEqual([
      { model: system.config.VISION_PASS1_MODEL, outcome: 'ok' },
      { model: system.config.VISION_PASS1_ESCALATION_MODEL, outcome: 'ok' },
    ]);
  });

  it('a malformed pass 1 answer is sampled again by the escalation model; a pass 2 answer cut off twice fails the item with a readable reason', async () => {
    const devices = fourUnitRack([{ category: 'pedal', brand: 'BOSS', model: 'DS-1' }]);
    const p = await photo(devices);
    edges.standin.rule({ when: (c) => about(p)(c) && c.toolName === PASS1, times: 1, behaviour: { kind: 'malformed', variant: 'no_tool_use' } });
    edges.standin.rule({ when: (c) => about(p)(c) && c.toolName === PASS2, behaviour: { kind: 'max_tokens' } });
    const id = await uploadOne(p);
    const item = await settled(org, id);
    expect(item).toMatchObject({ status: 'failed', reasonCode: 'model_truncated', retryable: true });
    expect(item.reason).toMatch(/^The AI answer was cut off before it was complete\.$/);
    expect(callsOf(p, PASS1).map((c) => c.modelId)).toEqual([system.config.VISION_PASS1_MODEL, system.config.VISION_PASS1_ESCALATION_MODEL]);
    expect(callsOf(p, PASS2).map((c) => c.modelId)).toEqual([system.config.VISION_PASS2_MODEL, system.config.VISION_PASS2_MODEL]);
    const outcomes = await edges.sql<{ pass: number; outcome: string }>('select pass, outcome from model_call where item_id = $1 order by pass, attempt', [id]);
    expect(outcomes.map((o) => `${o.pass}:${o.outcome}`)).toEqual(['1:bad_output', '1:ok', '2:truncated', '2:truncated']);
    // Not analysed: no recall sheet yet, said plainly.
    const sheet = await api.http.get(`/v1/items/${id}/recall-sheet`).set(org.headers).expect(409);
    expect(sheet.body).toMatchObject({ code: 'not_analyzed' });
  });

  it('the same photo uploaded twice by one org is analysed once; another org gets its own analysis', async () => {
    const devices = fourUnitRack([{ category: 'synth', brand: 'Moog', model: 'Minimoog Model D' }]);
    const p = await photo(devices);
    const first = await uploadOne(p);
    await settled(org, first);
    const second = await uploadOne(p, org, collectionId, 'again.jpg');
    const again = await settled(org, second);
    expect(again).toMatchObject({ status: 'analyzed', sourceItemId: first });
    expect(callsOf(p).map((c) => c.toolName)).toEqual([PASS1, PASS2]);

    const other = await api.newOrg('Other Rooms');
    const otherCollection = await api.newCollection(other, 'theirs');
    const theirs = await uploadOne(p, other, otherCollection);
    expect((await settled(other, theirs)).status).toBe('analyzed');
    expect(callsOf(p).map((c) => c.toolName)).toEqual([PASS1, PASS2, PASS1, PASS2]);
  });

  it('the result cache: a re-upload after a failed pass 2 reuses pass 1 without a call; deleting the item takes its cached answers away', async () => {
    const devices = fourUnitRack([{ category: 'drum_machine', brand: 'Roland', model: 'TR-808' }]);
    const p = await photo(devices);
    const removeQuota = edges.standin.rule({
      when: (c) => about(p)(c) && c.toolName === PASS2,
      times: 1,
      behaviour: { kind: 'error', type: 'ServiceQuotaExceededException' },
    });
    const first = await uploadOne(p);
    const failed = await settled(org, first);
    expect(failed).toMatchObject({ status: 'failed', reasonCode: 'model_quota_exceeded', retryable: true });
    expect(failed.reason).toMatch(/quota .* used up; an operator needs to raise it/);
    removeQuota();
    const cached = await edges.sql<{ pass: number; model: string }>('select pass, model from vision_result_cache where item_id = $1', [first]);
    expect(cached).toEqual([{ pass: 1, model: system.config.VISION_PASS1_MODEL }]);

    // A failed upload is no source for the ingest dedupe: the new item is analysed, pass 1 from the cache.
    const second = await uploadOne(p, org, collectionId, 'retake.jpg');
    expect(await settled(org, second)).toMatchObject({ status: 'analyzed', sourceItemId: null });
    expect(callsOf(p).map((c) => c.toolName)).toEqual([PASS1, PASS2, PASS2]);
    expect((await edges.sql('select 1 from model_call where item_id = $1 and pass = 1', [second])).length).toBe(0);

    await api.http.delete(`/v1/items/${first}`).set(org.headers).expect(204);
    await eventually(async () => ((await edges.sql('select 1 from item where id = $1', [first])).length === 0 ? true : undefined), 30_000, 'the purge');
    expect(await edges.sql('select 1 from vision_result_cache where item_id = $1', [first])).toEqual([]);
    // The second item's own answers stay in its org's cache, and no other org can see them.
    expect(await edges.sql('select pass from vision_result_cache where item_id = $1', [second])).toEqual([{ pass: 2 }]);
  });

  it('P12: fields the model adds about a person are dropped before anything is stored or shown', async () => {
    const devices = fourUnitRack([{ category: 'amp', brand: 'Fender', model: 'Twin Reverb' }]);
    const p = await photo(devices, {
      pass1: () => {
        const answer = pass1AnswerOf(devices) as unknown as { devices: Array<Record<string, unknown>>; people?: unknown };
        answer.people = [{ description: 'an engineer in a red shirt at the desk' }];
        answer.devices[0]!.person_nearby = 'a guitarist named Jo';
        return answer;
      },
    });
    const id = await uploadOne(p);
    expect((await settled(org, id)).status).toBe('analyzed');
    const stored = await edges.sql<{ output: unknown }>('select output from analysis where item_id = $1', [id]);
    const sheet = await api.http.get(`/v1/items/${id}/recall-sheet?format=text`).set(org.headers).expect(200);
    const item = await api.item(org, id);
    for (const text of [JSON.stringify(stored), sheet.text, JSON.stringify(item.results)]) {
      expect(text).not.toMatch(/people|person|engineer|red shirt|guitarist|Jo\b/);
    }
  });
});
