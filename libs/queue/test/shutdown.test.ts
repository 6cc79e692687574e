import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createTestDatabase, eventually, type TestDatabase, uniquePrefix } from '@sessionpix/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('graceful shutdown', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('shutdown');
  });
  afterAll(async () => db.drop());

  it('SIGTERM during a running job lets it finish, then exits', async () => {
    const prefix = uniquePrefix();
    const redis = new Redis(REDIS_URL);
    const queue = new Queue('vision-pass-1', { connection: { url: REDIS_URL }, prefix });
    const child = spawn(process.execPath, [join(__dirname, 'fixtures', 'slow-worker.js')], {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        DATABASE_URL: db.url,
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        OPS_PORT: '0',
        SLOW_JOB_MS: '2500',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      const itemId = crypto.randomUUID();
      const job = await queue.add('vision-pass-1', { v: 1, orgId: crypto.randomUUID(), itemId, run: 0 });
      await eventually(async () => ((await redis.lrange(`${prefix}:marks`, 0, -1)).length > 0 ? true : undefined), 20_000, 'the job to start');
      child.kill('SIGTERM');
      const exit = await exited;
      expect(stderr).not.toMatch(/error/i);
      expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
      expect(await redis.lrange(`${prefix}:marks`, 0, -1)).toEqual([`started ${itemId}`, `finished ${itemId}`]);
      expect(await (await queue.getJob(job.id!))?.getState()).toBe('completed');
    } finally {
      child.kill('SIGKILL');
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await redis.del(`${prefix}:marks`);
      redis.disconnect();
    }
  });
});
