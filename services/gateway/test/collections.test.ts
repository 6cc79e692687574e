import type { AppConfig } from '@sessionpix/config';
import { ApiKey, emForSystem, MikroORM } from '@sessionpix/db';
import { gatewayService } from '@sessionpix/gateway';
import type { RunningProcess } from '@sessionpix/runtime';
import {
  createTestDatabase,
  type S3TestHarness,
  s3TestEnv,
  startS3TestHarness,
  startTestProcess,
  type TestDatabase,
  testConfig,
} from '@sessionpix/testing';
import request from 'supertest';
import { auth, createOrg, type TestOrg } from './helpers';
import { ApiKeyCache } from '../src/auth/api-key-cache';

describe('collections API', () => {
  let db: TestDatabase;
  let s3: S3TestHarness;
  let config: AppConfig;
  let proc: RunningProcess;
  let http: ReturnType<typeof request>;
  let orgA: TestOrg;
  let orgB: TestOrg;

  beforeAll(async () => {
    db = await createTestDatabase('collections');
    s3 = await startS3TestHarness('spx-collections');
    config = testConfig({ DATABASE_URL: db.url, SESSIONPIX_SERVICES: 'gateway', ...s3TestEnv(s3) });
    proc = await startTestProcess(config, [gatewayService]);
    http = request(proc.httpUrl!);
    const orm = proc.app.get<MikroORM>(MikroORM);
    orgA = await createOrg(orm, 'Abbey Lane Studio', config.apiKeyPepper);
    orgB = await createOrg(orm, 'Bakery Rooms', config.apiKeyPepper);
  });

  afterAll(async () => {
    await proc?.close();
    await s3?.close();
    await db?.drop();
  });

  it('creates, reads, renames and deletes a collection', async () => {
    const created = await http.post('/v1/collections').set(auth(orgA)).send({ name: 'Mix day 1' }).expect(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'Mix day 1',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const id = created.body.id as string;
    expect((await http.get(`/v1/collections/${id}`).set(auth(orgA)).expect(200)).body.name).toBe('Mix day 1');
    const renamed = await http.patch(`/v1/collections/${id}`).set(auth(orgA)).send({ name: '  Mix day 2 ' }).expect(200);
    expect(renamed.body.name).toBe('Mix day 2');
    await http.delete(`/v1/collections/${id}`).set(auth(orgA)).expect(204);
    await http.get(`/v1/collections/${id}`).set(auth(orgA)).expect(404);
    const list = await http.get('/v1/collections').set(auth(orgA)).expect(200);
    expect(list.body.items.map((c: { id: string }) => c.id)).not.toContain(id);
  });

  it('paginates with an opaque cursor, newest first, each row once', async () => {
    const names = ['p1', 'p2', 'p3', 'p4', 'p5'];
    for (const name of names) await http.post('/v1/collections').set(auth(orgB)).send({ name }).expect(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: request.Response = await http
        .get('/v1/collections')
        .query(cursor ? { limit: 2, cursor } : { limit: 2 })
        .set(auth(orgB))
        .expect(200);
      seen.push(...res.body.items.map((c: { name: string }) => c.name));
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(['p5', 'p4', 'p3', 'p2', 'p1']);
  });

  it('answers a bad page request with problem details naming the parameter', async () => {
    const tooBig = await http.get('/v1/collections?limit=1000').set(auth(orgA)).expect(400);
    expect(tooBig.body.errors).toEqual([expect.objectContaining({ field: 'limit' })]);
    const badCursor = await http.get('/v1/collections?cursor=nonsense').set(auth(orgA)).expect(400);
    expect(badCursor.body.errors).toEqual([expect.objectContaining({ field: 'cursor' })]);
  });

  describe('another org', () => {
    let idA: string;
    beforeAll(async () => {
      idA = (await http.post('/v1/collections').set(auth(orgA)).send({ name: 'private' }).expect(201)).body.id;
    });

    it('cannot read, rename or delete it: 404, as if it did not exist', async () => {
      await http.get(`/v1/collections/${idA}`).set(auth(orgB)).expect(404);
      await http.patch(`/v1/collections/${idA}`).set(auth(orgB)).send({ name: 'mine now' }).expect(404);
      await http.delete(`/v1/collections/${idA}`).set(auth(orgB)).expect(404);
      const still = await http.get(`/v1/collections/${idA}`).set(auth(orgA)).expect(200);
      expect(still.body.name).toBe('private');
    });

    it('cannot list it', async () => {
      const res = await http.get('/v1/collections?limit=100').set(auth(orgB)).expect(200);
      expect(res.body.items.map((c: { id: string }) => c.id)).not.toContain(idA);
    });
  });

  describe('errors are RFC 9457 problem details', () => {
    it('a bad body is a 400 naming the field', async () => {
      const res = await http.post('/v1/collections').set(auth(orgA)).send({ name: '' }).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toEqual({
        type: 'urn:sessionpix:problem:validation_failed',
        title: 'Bad Request',
        status: 400,
        detail: expect.stringContaining('name'),
        code: 'validation_failed',
        instance: '/v1/collections',
        errors: [{ field: 'name', message: 'must not be empty' }],
      });
    });

    it('unknown fields and malformed JSON are refused, not ignored', async () => {
      const extra = await http.post('/v1/collections').set(auth(orgA)).send({ name: 'x', colour: 'red' }).expect(400);
      expect(extra.body.code).toBe('validation_failed');
      const broken = await http
        .post('/v1/collections')
        .set({ ...auth(orgA), 'content-type': 'application/json' })
        .send('{"name": ')
        .expect(400);
      expect(broken.body).toMatchObject({ status: 400, detail: expect.stringMatching(/not valid JSON/) });
    });

    it('a malformed id is a 400 naming it', async () => {
      const res = await http.get('/v1/collections/not-a-uuid').set(auth(orgA)).expect(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'id' })]);
    });

    it('an unknown route is a 404 problem', async () => {
      const res = await http.get('/v1/nothing-here').set(auth(orgA)).expect(404);
      expect(res.body).toMatchObject({ status: 404, code: 'not_found' });
    });
  });

  describe('API keys', () => {
    it('a missing, malformed or wrong key is a 401', async () => {
      const missing = await http.get('/v1/collections').expect(401);
      expect(missing.body.code).toBe('unauthorized');
      expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
      await http.get('/v1/collections').set({ authorization: 'Bearer nope' }).expect(401);
      const forged = orgA.apiKey.slice(0, -4) + 'AAAA';
      await http.get('/v1/collections').set({ authorization: `Bearer ${forged}` }).expect(401);
    });

    it('a revoked key stops working at once', async () => {
      const orm = proc.app.get<MikroORM>(MikroORM);
      const org = await createOrg(orm, 'Revoked Rooms', config.apiKeyPepper);
      await http.get('/v1/collections').set(auth(org)).expect(200);
      const em = emForSystem(orm);
      await em.nativeUpdate(ApiKey, { keyId: org.keyId }, { revokedAt: new Date() }, { filters: { tenant: false } });
      // Every revoking path announces it (the API, the admin CLI); the gateway had the key cached.
      await proc.app.get(ApiKeyCache).announceRevocation();
      await http.get('/v1/collections').set(auth(org)).expect(401);
    });

    it('records when a key was last used', async () => {
      const orm = proc.app.get<MikroORM>(MikroORM);
      const key = await emForSystem(orm).findOne(ApiKey, { keyId: orgA.keyId }, { filters: { tenant: false } });
      expect(key?.lastUsedAt).toBeInstanceOf(Date);
    });
  });

  it('serves an OpenAPI document generated from the schemas', async () => {
    const res = await http.get('/v1/openapi.json').expect(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/v1/collections', '/v1/collections/{id}']));
    const create = res.body.paths['/v1/collections'].post;
    const bodyRef = JSON.stringify(create.requestBody);
    expect(bodyRef).toMatch(/CreateCollection/);
    const schemas = res.body.components.schemas;
    expect(JSON.stringify(schemas)).toMatch(/"maxLength":200/);
  });

  it('serves /healthz, /readyz and /metrics on the ops port and the gateway port', async () => {
    for (const base of [proc.opsUrl, proc.httpUrl!]) {
      await request(base).get('/healthz').expect(200);
      const ready = await request(base).get('/readyz').expect(200);
      expect(ready.body).toEqual({ status: 'ok', checks: { postgres: 'ok', redis: 'ok', s3: 'ok' } });
      const metrics = await request(base).get('/metrics').expect(200);
      expect(metrics.text).toMatch(/sessionpix_process_cpu_user_seconds_total/);
    }
  });
});
