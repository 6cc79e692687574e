import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { migrateDatabase } from '@sessionpix/db';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

const SERVER_URL = process.env.TEST_DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh, migrated database per test file, on the real PostgreSQL server. */
export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const name = `sessionpix_${label.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  await migrateDatabase(url.toString());
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const client = new Client({ connectionString: SERVER_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
