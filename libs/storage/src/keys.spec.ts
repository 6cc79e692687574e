import { InvalidObjectKeyError } from './errors';
import { assertObjectKey, assertPrefix, itemObjectKey, itemPrefix, orgPrefix } from './keys';

const ORG = '0190f5a2-7c3e-7a41-9b2d-3f6a1c2b4d5e';
const ITEM = '0190f5a2-9d10-7b22-8c3e-4a5b6c7d8e9f';

describe('object keys', () => {
  it('builds the documented layout', () => {
    expect(itemPrefix(ORG, ITEM)).toBe(`orgs/${ORG}/items/${ITEM}/`);
    expect(itemObjectKey(ORG, ITEM, 'original')).toBe(`orgs/${ORG}/items/${ITEM}/original`);
    expect(itemObjectKey(ORG, ITEM, 'master')).toBe(`orgs/${ORG}/items/${ITEM}/master.jpg`);
    expect(itemObjectKey(ORG, ITEM, 'masterHalf')).toBe(`orgs/${ORG}/items/${ITEM}/master-half.jpg`);
    expect(itemObjectKey(ORG, ITEM, 'analysis')).toBe(`orgs/${ORG}/items/${ITEM}/analysis.jpg`);
    expect(itemObjectKey(ORG, ITEM, 'thumbnail')).toBe(`orgs/${ORG}/items/${ITEM}/thumb.webp`);
    expect(orgPrefix(ORG)).toBe(`orgs/${ORG}/`);
  });

  it('spells an id one way, so an item has one key', () => {
    expect(itemObjectKey(ORG.toUpperCase(), ITEM, 'master')).toBe(itemObjectKey(ORG, ITEM, 'master'));
  });

  it.each([
    ['empty', ''],
    ['traversal', '../other-org'],
    ['slash', `${ORG}/x`],
    ['uuid plus suffix', `${ORG}x`],
    ['uuid with traversal', `${ORG}/../..`],
    ['braces', `{${ORG}}`],
    ['no dashes', ORG.replace(/-/g, '')],
    ['not hex', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz'],
    ['number', 42],
    ['undefined', undefined],
  ])('rejects a non-UUID id (%s)', (_label, bad) => {
    expect(() => itemObjectKey(bad as string, ITEM, 'original')).toThrow(InvalidObjectKeyError);
    expect(() => itemObjectKey(ORG, bad as string, 'original')).toThrow(InvalidObjectKeyError);
    expect(() => itemPrefix(ORG, bad as string)).toThrow(/itemId must be a UUID/);
  });

  it('rejects an unknown kind', () => {
    expect(() => itemObjectKey(ORG, ITEM, '../x' as never)).toThrow(InvalidObjectKeyError);
    expect(() => itemObjectKey(ORG, ITEM, 'toString' as never)).toThrow(InvalidObjectKeyError);
  });

  it('guards raw keys and prefixes against path tricks', () => {
    for (const bad of ['', '/abs', 'a//b', 'a/../b', './a', 'a/.', 'a/', 'a\\b', 'a\u0000b', 'x'.repeat(1025)]) {
      expect(() => assertObjectKey(bad), JSON.stringify(bad)).toThrow(InvalidObjectKeyError);
    }
    expect(assertObjectKey('orgs/a/items/b/master.jpg')).toBe('orgs/a/items/b/master.jpg');
    expect(assertObjectKey('a/...b')).toBe('a/...b');

    for (const bad of ['', '/', 'orgs/a', 'orgs//', '../']) {
      expect(() => assertPrefix(bad), JSON.stringify(bad)).toThrow(InvalidObjectKeyError);
    }
    expect(assertPrefix('orgs/a/')).toBe('orgs/a/');
  });
});
