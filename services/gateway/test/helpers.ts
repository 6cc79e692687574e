import { issueApiKey } from '@sessionpix/gateway';
import { emForSystem, type MikroORM, Organization } from '@sessionpix/db';

export interface TestOrg {
  orgId: string;
  apiKey: string;
  keyId: string;
}

export async function createOrg(orm: MikroORM, name: string, pepper: string): Promise<TestOrg> {
  const em = emForSystem(orm);
  const org = em.create(Organization, { name });
  await em.flush();
  const key = issueApiKey(em, org.id, 'test', pepper);
  await em.flush();
  return { orgId: org.id, apiKey: key.apiKey, keyId: key.keyId };
}

export const auth = (org: TestOrg) => ({ authorization: `Bearer ${org.apiKey}` });
