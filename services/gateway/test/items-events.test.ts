import { DomainEvents } from '@sessionpix/queue';
import { eventually } from '@sessionpix/testing';
import sharp from 'sharp';
import { auth, type TestOrg } from './helpers';
import { openEventStream, type Stack, startStack } from './stack';

describe('GET /v1/collections/{id}/events (server-sent events)', () => {
  let stack: Stack;
  let org: TestOrg;
  let collectionId: string;
  let jpeg: Buffer;
  const streams: { close(): void }[] = [];

  const open = async (who: TestOrg, collection: string) => {
    const s = await openEventStream(`${stack.proc.httpUrl}/v1/collections/${collection}/events`, auth(who));
    streams.push(s);
    return s;
  };

  beforeAll(async () => {
    stack = await startStack('itemsevents');
    org = await stack.newOrg('Live Room');
    collectionId = await stack.newCollection(org);
    jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#aa5500' } }).jpeg().toBuffer();
  });

  afterAll(async () => {
    for (const s of streams) s.close();
    await stack?.close();
  });

  // First in the file on purpose: the process has no subscription yet when this stream opens.
  it('is listening by the time the response starts: an event published right then is delivered', async () => {
    // Two clients at once (the first opens the process's subscription); publish when either is open.
    const stream = await Promise.race([open(org, collectionId), open(org, collectionId)]);
    expect(stream.status).toBe(200);
    const itemId = crypto.randomUUID();
    await stack.proc.app.get(DomainEvents).publish({
      type: 'item.status_changed',
      orgId: org.orgId,
      collectionId,
      itemId,
      status: 'ingested',
      reasonCode: null,
      at: new Date().toISOString(),
    });
    // Followed by a real upload, whose events prove the stream works at all.
    const res = await stack.upload(org, collectionId, [{ name: 'after.jpg', bytes: jpeg }]).expect(202);
    await stack.waitForStatus(org, res.body.items[0].id, ['paused']);
    await eventually(async () => (stream.events.some((e) => e.data.itemId === res.body.items[0].id && e.data.status === 'paused') ? true : undefined));
    expect(stream.events.filter((e) => e.data.itemId === itemId)).toHaveLength(1);
  });

  it('reports every transition of an uploaded photo, in order: uploaded → ingested → paused', async () => {
    const stream = await open(org, collectionId);
    expect(stream.status).toBe(200);
    expect(stream.response.headers['content-type']).toMatch(/^text\/event-stream/);
    // Listening as soon as the stream is open: upload right away.
    const res = await stack.upload(org, collectionId, [{ name: 'live.jpg', bytes: jpeg }]).expect(202);
    const id = res.body.items[0].id as string;
    const mine = () => stream.events.filter((e) => e.data.itemId === id);
    await eventually(async () => (mine().some((e) => e.data.status === 'paused') ? true : undefined), 20_000, 'the paused event');
    expect(mine().map((e) => e.data.status)).toEqual(['uploaded', 'ingested', 'paused']);
    for (const e of mine()) {
      expect(e.event).toBe('item.status_changed');
      expect(e.data).toMatchObject({ type: 'item.status_changed', collectionId, itemId: id, at: expect.any(String) });
      // The org id is the caller's own, and not part of what is pushed.
      expect(e.data).not.toHaveProperty('orgId');
    }
    expect(mine().at(-1)!.data.reasonCode).toBe('vision_not_configured');
  });

  it('reports a direct upload once it is completed', async () => {
    const stream = await open(org, collectionId);
    const p = (
      await stack.http
        .post(`/v1/collections/${collectionId}/uploads`)
        .set(auth(org))
        .send({ contentType: 'image/jpeg', contentLength: jpeg.length })
        .expect(201)
    ).body;
    expect((await fetch(p.url, { method: 'PUT', headers: p.headers, body: jpeg })).status).toBe(200);
    await stack.http.post(`/v1/uploads/${p.uploadId}/complete`).set(auth(org)).expect(202);
    await eventually(async () => (stream.events.some((e) => e.data.itemId === p.itemId && e.data.status === 'paused') ? true : undefined));
    expect(stream.events.filter((e) => e.data.itemId === p.itemId).map((e) => e.data.status)).toEqual(['uploaded', 'ingested', 'paused']);
  });

  it('carries only its own collection’s items', async () => {
    const otherCollection = await stack.newCollection(org, 'Other session');
    const stream = await open(org, collectionId);
    const res = await stack.upload(org, otherCollection, [{ name: 'elsewhere.jpg', bytes: jpeg }]).expect(202);
    const id = res.body.items[0].id as string;
    await stack.waitForStatus(org, id, ['paused']);
    // A later event of this collection proves the stream was live while the other item moved.
    const marker = (await stack.upload(org, collectionId, [{ name: 'here.jpg', bytes: jpeg }]).expect(202)).body.items[0].id;
    await eventually(async () => (stream.events.some((e) => e.data.itemId === marker && e.data.status === 'paused') ? true : undefined));
    expect(stream.events.some((e) => e.data.itemId === id)).toBe(false);
  });

  it('another org’s collection is a 404, and no key is a 401', async () => {
    const other = await stack.newOrg('Eavesdroppers Inc');
    const stream = await open(other, collectionId);
    expect(stream.status).toBe(404);
    expect(stream.response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const anonymous = await openEventStream(`${stack.proc.httpUrl}/v1/collections/${collectionId}/events`, {});
    streams.push(anonymous);
    expect(anonymous.status).toBe(401);
  });
});
