import { Collection, emForOrg, emForSystem, Item, Organization } from '@sessionpix/db';
import { JobProducer } from '@sessionpix/queue';
import { itemObjectKey, ObjectStore } from '@sessionpix/storage';
import { eventually } from '@sessionpix/testing';
import { sha256 } from '../../../apps/sessionpix/test/support/answers';
import { distinctJpeg } from '../../../apps/sessionpix/test/support/images';
import type { Edges, System } from '../../../apps/sessionpix/test/support/system';

export interface SeededItem {
  id: string;
  orgId: string;
  /** sha256 of its analysis rendition: what the stand-in sees as the call's image. */
  hash: string;
}

let nextSeed = 1000;

/**
 * Items as ingest leaves them (status `ingested`, an analysis rendition in the store), with
 * their pass 1 jobs enqueued: the vision passes are all that runs from here.
 */
export async function seedIngested(system: System, count: number, opts: { enqueue?: boolean } = {}): Promise<SeededItem[]> {
  const sys = emForSystem(system.orm);
  const org = sys.create(Organization, { name: 'Failure Paths Studio' });
  await sys.flush();
  const em = emForOrg(system.orm, org.id);
  const collection = em.create(Collection, { org: org.id, name: 'session' });
  const store = system.proc.app.get(ObjectStore);
  const seeded: SeededItem[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = await distinctJpeg(nextSeed++, 320, 240);
    const item = em.create(Item, { org: org.id, collection, status: 'ingested', width: 320, height: 240, contentType: 'jpeg' });
    await em.flush();
    await store.putObject(itemObjectKey(org.id, item.id, 'analysis'), bytes, { contentType: 'image/jpeg' });
    seeded.push({ id: item.id, orgId: org.id, hash: sha256(bytes) });
  }
  if (opts.enqueue !== false) {
    const producer = system.proc.app.get(JobProducer);
    for (const s of seeded) await producer.enqueue('vision-pass-1', { v: 1, orgId: s.orgId, itemId: s.id, run: 0 });
  }
  return seeded;
}

export interface ItemRow {
  id: string;
  status: string;
  reason_code: string | null;
  reason: string | null;
  retryable: boolean;
  run: number;
}

export async function itemRows(edges: Edges, items: SeededItem[]): Promise<ItemRow[]> {
  return edges.sql<ItemRow & Record<string, unknown>>(
    'select id, status, reason_code, reason, retryable, run from item where id = any($1) order by id',
    [items.map((i) => i.id)],
  );
}

/** Waits until every item is in one of `statuses`; returns their rows. */
export async function settle(edges: Edges, items: SeededItem[], statuses: string[], timeoutMs = 20_000): Promise<ItemRow[]> {
  let last: ItemRow[] = [];
  try {
    return await eventually(
      async () => {
        last = await itemRows(edges, items);
        return last.length === items.length && last.every((r) => statuses.includes(r.status)) ? last : undefined;
      },
      timeoutMs,
      `${items.length} item(s) to be ${statuses.join(' or ')}`,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last seen: ${last.map((r) => `${r.status}(${r.reason_code ?? ''})`).join(' ')}`);
  }
}

export interface CallRow {
  item_id: string;
  pass: number;
  attempt: number;
  outcome: string;
  error_message: string | null;
}

/** The model_call rows of one item, pass by pass, attempt by attempt. */
export async function modelCalls(edges: Edges, item: SeededItem): Promise<CallRow[]> {
  return edges.sql<CallRow & Record<string, unknown>>(
    'select item_id, pass, attempt, outcome, error_message from model_call where item_id = $1 order by pass, attempt',
    [item.id],
  );
}

/** `pass:outcome` for each attempt, e.g. ['1:transient', '1:ok', '2:ok']. */
export async function attempts(edges: Edges, item: SeededItem): Promise<string[]> {
  return (await modelCalls(edges, item)).map((r) => `${r.pass}:${r.outcome}`);
}
