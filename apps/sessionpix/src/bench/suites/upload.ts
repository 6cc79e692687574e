import { Agent } from 'node:http';
import { DeleteObjectsCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { emForSystem, Item, openOrm, Organization } from '@sessionpix/db';
import { issueApiKey } from '@sessionpix/gateway';
import { itemObjectKey } from '@sessionpix/storage';
import { sharedS3, serviceConfig, serviceEnv, suiteDatabase, suitePrefix } from '../env';
import { type BenchContext, interleaved, percentile, summarize, type Suite, timed, withConcurrency } from '../framework';
import { multipartFile, send } from '../http';
import { makePhoto, UPLOAD_BODIES } from '../photos';
import { cpuDuring, threadCpuMs } from '../proc-cpu';
import { containerTuning, startServiceProcess } from '../service-process';

/** Uploads per round: each body twice. */
const REPEAT_BODIES = 2;
const CONCURRENCY = 3;
/**
 * Upload acceptance: photos POSTed as multipart to a gateway process (which streams each part to
 * S3, writes the item row and enqueues ingest) against the same bytes PutObject'ed straight into
 * the same S3 stand-in with the AWS SDK, at the same concurrency.
 */
export const uploadSuite: Suite = {
  name: 'upload',
  title: 'upload acceptance MB/s: gateway multipart vs SDK PutObject',
  async run(ctx: BenchContext) {
    ctx.log('generating upload bodies (8–12 MB JPEGs)');
    const bodies: Buffer[] = [];
    for (const spec of UPLOAD_BODIES) bodies.push(await makePhoto(spec));
    const uploads = Array.from({ length: REPEAT_BODIES }, () => bodies).flat();
    const roundBytes = uploads.reduce((sum, b) => sum + b.length, 0);

    const s3 = await sharedS3(ctx);
    const db = await suiteDatabase(ctx, 'upload');
    const prefix = suitePrefix(ctx);
    const env = serviceEnv({ s3, databaseUrl: db.url, prefix, services: 'gateway', extra: { LOG_LEVEL: 'warn' } });
    const config = serviceConfig(env);
    // The gateway as its own process, as deployed: the bench's client does not share its event loop.
    ctx.log('starting the gateway process');
    const gateway = startServiceProcess({ ...containerTuning(), ...process.env, ...env });
    ctx.defer(() => gateway.stop());
    await gateway.ready;
    const baseUrl = gateway.httpUrl()!;

    // An organisation, an API key and a collection, as a customer would have them.
    const orm = await openOrm({ databaseUrl: db.url, poolMax: 2 });
    ctx.defer(() => orm.close(true));
    const em = emForSystem(orm);
    const org = em.create(Organization, { name: 'Bench Studio' });
    await em.flush();
    const key = issueApiKey(em, org.id, 'bench', config.apiKeyPepper);
    await em.flush();
    const authorization = `Bearer ${key.apiKey}`;

    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    ctx.defer(() => agent.destroy());
    const created = await send(
      agent,
      `${baseUrl}/v1/collections`,
      'POST',
      { authorization, 'content-type': 'application/json' },
      Buffer.from(JSON.stringify({ name: 'bench uploads' })),
    );
    if (created.status !== 201) throw new Error(`creating a collection answered ${created.status}: ${created.body}`);
    const collectionId = (JSON.parse(created.body) as { id: string }).id;
    const uploadUrl = `${baseUrl}/v1/collections/${collectionId}/items`;
    const forms = bodies.map((b, i) => multipartFile(`rack-${i + 1}.jpg`, 'image/jpeg', b));
    const formOf = new Map(bodies.map((b, i) => [b, forms[i]]));

    // The baseline client is configured like the services' (checksums only when required), so
    // both sides send the same S3 requests' worth of work per byte.
    const sdk = new S3Client({
      region: config.AWS_REGION!,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: s3.credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    ctx.defer(() => sdk.destroy());

    /** CPU ms per photo of each process, per measured round. */
    const cpu = {
      gateway: [] as number[],
      gatewayOtherThreads: [] as number[],
      client: [] as number[],
      s3ForGateway: [] as number[],
      sdk: [] as number[],
      s3ForSdk: [] as number[],
    };
    const gatewayPid = gateway.child.pid!;
    const gatewayLatencies: number[] = [];
    const sdkLatencies: number[] = [];
    /** Measured request times per body (index into `bodies`), for the per-size notes. */
    const bySize = { gateway: bodies.map((): number[] => []), sdk: bodies.map((): number[] => []) };
    const removeKeys = async (keys: string[]) => {
      for (let i = 0; i < keys.length; i += 1000) {
        await sdk.send(
          new DeleteObjectsCommand({
            Bucket: s3.bucket,
            Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
          }),
        );
      }
    };

    const viaGateway = async (round: number) => {
      const stored: string[] = [];
      const sent = new Map<string, Buffer>();
      const threadsBefore = threadCpuMs(gatewayPid);
      const uploadOne = async (bytes: Buffer) => {
        const form = formOf.get(bytes)!;
        const started = performance.now();
        const answer = await send(
          agent,
          uploadUrl,
          'POST',
          { authorization, 'content-type': form.contentType, 'content-length': form.body.length },
          form.body,
        );
        const took = performance.now() - started;
        if (answer.status !== 202) throw new Error(`upload answered ${answer.status}: ${answer.body.slice(0, 300)}`);
        const items = (JSON.parse(answer.body) as { items: { id: string }[] }).items;
        if (items.length !== 1) throw new Error(`expected one accepted item, got ${items.length}`);
        stored.push(itemObjectKey(org.id, items[0].id, 'original'));
        sent.set(items[0].id, bytes);
        if (round >= ctx.warmup) {
          gatewayLatencies.push(took);
          bySize.gateway[bodies.indexOf(bytes)].push(took);
        }
      };
      const { result: ms, cpuMs } = await cpuDuring([gatewayPid, process.pid, s3.pid], () =>
        timed(() => withConcurrency(uploads, CONCURRENCY, uploadOne)),
      );
      if (round >= ctx.warmup) {
        cpu.gateway.push(cpuMs[0] / uploads.length);
        cpu.gatewayOtherThreads.push((threadCpuMs(gatewayPid).others - threadsBefore.others) / uploads.length);
        cpu.client.push(cpuMs[1] / uploads.length);
        cpu.s3ForGateway.push(cpuMs[2] / uploads.length);
      }
      if (round === 0) {
        // Once, untimed: what was accepted is really stored, byte for byte, as ingest will read it
        // (the photo's recorded length of the raw object, which may run on with padding).
        for (const [id, bytes] of sent) {
          const row = await em.fork().findOneOrFail(Item, { id }, { filters: { tenant: { orgId: org.id } } });
          if (row.byteSize !== bytes.length) throw new Error(`item ${id}: recorded ${row.byteSize} bytes, sent ${bytes.length}`);
          const key = itemObjectKey(org.id, id, 'original');
          const out = await sdk.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key, Range: `bytes=0-${bytes.length - 1}` }));
          const got = Buffer.from(await out.Body!.transformToByteArray());
          if (!got.equals(bytes)) throw new Error(`${key}: the stored photo differs from the ${bytes.length} bytes sent`);
        }
      }
      await removeKeys(stored); // keep the stand-in's disk the same size round after round
      return roundBytes / 1e6 / (ms / 1000);
    };

    const viaSdk = async (round: number) => {
      const stored: string[] = [];
      const putOne = async (bytes: Buffer, index: number) => {
        const key = `bench/put/${round}/${index}`;
        const started = performance.now();
        await sdk.send(
          new PutObjectCommand({
            Bucket: s3.bucket,
            Key: key,
            Body: bytes,
            ContentType: 'application/octet-stream',
            ContentLength: bytes.length,
            ServerSideEncryption: 'AES256',
          }),
        );
        const took = performance.now() - started;
        stored.push(key);
        if (round >= ctx.warmup) {
          sdkLatencies.push(took);
          bySize.sdk[bodies.indexOf(bytes)].push(took);
        }
      };
      const { result: ms, cpuMs } = await cpuDuring([process.pid, s3.pid], () =>
        timed(() => withConcurrency(uploads, CONCURRENCY, putOne)),
      );
      if (round >= ctx.warmup) {
        cpu.sdk.push(cpuMs[0] / uploads.length);
        cpu.s3ForSdk.push(cpuMs[1] / uploads.length);
      }
      await removeKeys(stored);
      return roundBytes / 1e6 / (ms / 1000);
    };

    const sizes = bodies.map((b) => `${(b.length / 1e6).toFixed(1)}`).join(', ');
    const perRound = `${uploads.length} photos (${sizes} MB, each ×${REPEAT_BODIES}), c=${CONCURRENCY}`;
    // A round takes about 2 s and shared machines swing single rounds by ±15%: three times the
    // usual number of rounds keeps the medians (and so the ratio) steady from run to run.
    const samples = await interleaved(ctx, 'upload', viaGateway, viaSdk, { runs: ctx.runs * 3 });
    ctx.record({
      metric: 'upload acceptance',
      unit: 'MB/s',
      better: 'higher',
      subject: { label: `gateway POST multipart, ${perRound}`, stats: summarize(samples.subject, 'higher') },
      baseline: { label: 'SDK PutObject, same bytes, same s3rver', stats: summarize(samples.baseline, 'higher') },
      target: { on: 'ratio', op: '>=', value: 0.8 },
    });
    ctx.record({
      metric: 'per-photo request',
      unit: 'ms',
      better: 'lower',
      subject: { label: `gateway POST (1 photo/request), c=${CONCURRENCY}`, stats: summarize(gatewayLatencies, 'lower') },
      baseline: { label: 'SDK PutObject', stats: summarize(sdkLatencies, 'lower') },
    });

    ctx.record({
      metric: 'CPU per photo',
      unit: 'ms',
      better: 'lower',
      subject: { label: 'gateway process (user + kernel, all threads)', stats: summarize(cpu.gateway, 'lower') },
      baseline: { label: 'SDK PutObject client', stats: summarize(cpu.sdk, 'lower') },
    });
    const median = (values: number[]) => percentile(values, 50).toFixed(0);
    ctx.note(
      `upload: CPU per photo besides the figure above — the gateway's threads other than its main one ${median(cpu.gatewayOtherThreads)} ms of its total; ` +
        `the bench's HTTP client ${median(cpu.client)} ms; ` +
        `s3rver ${median(cpu.s3ForGateway)} ms behind the gateway vs ${median(cpu.s3ForSdk)} ms behind the SDK. ` +
        'Every process shares the same 2 cores, so CPU spent anywhere slows every request.',
    );

    const perSize = bodies
      .map((b, i) => {
        const g = percentile(bySize.gateway[i], 50);
        const p = percentile(bySize.sdk[i], 50);
        return `${(b.length / 1e6).toFixed(1)} MB: gateway ${g.toFixed(0)} ms vs PutObject ${p.toFixed(0)} ms (${(g / p).toFixed(2)}×)`;
      })
      .join('; ');
    ctx.note(`upload: median request time by body size — ${perSize}.`);

    ctx.note(
      `upload: MB = 10^6 bytes; each round sends ${(roundBytes / 1e6).toFixed(1)} MB. A request's first photo goes to S3 as ` +
        'one PutObject while it arrives, sized by what Content-Length leaves room for and zero-padded past the photo, with no local copy.',
    );
  },
};
