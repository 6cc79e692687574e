/**
 * Stripe's wire format for parameters, as stripe-node sends them: form encoding (POST bodies and
 * GET query strings) with bracketed paths for nesting — `metadata[org_id]=…`,
 * `line_items[0][price]=…`, `expand[0]=payments`, `created[gte]=…`. Parsed back into objects and
 * arrays (a level whose keys are all integers becomes an array).
 */

export type FormValue = string | FormObject | FormValue[];
export interface FormObject {
  [key: string]: FormValue;
}

function segments(key: string): string[] {
  const first = key.indexOf('[');
  if (first < 0) return [key];
  const out = [key.slice(0, first)];
  for (const match of key.slice(first).matchAll(/\[([^\]]*)\]/g)) out.push(match[1]);
  return out;
}

function arrayify(value: FormValue): FormValue {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  for (const k of keys) value[k] = arrayify(value[k]);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => value[k]);
  }
  return value;
}

export function parseForm(body: string): FormObject {
  const root: FormObject = {};
  for (const [rawKey, rawValue] of new URLSearchParams(body)) {
    const path = segments(rawKey);
    let node = root;
    for (let i = 0; i < path.length - 1; i++) {
      // `a[]` (empty index) appends.
      const key = path[i] === '' ? String(Object.keys(node).length) : path[i];
      const next = node[key];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
      node = node[key] as FormObject;
    }
    const last = path[path.length - 1] === '' ? String(Object.keys(node).length) : path[path.length - 1];
    node[last] = rawValue;
  }
  return arrayify(root) as FormObject;
}

/** The inverse, for tests that speak the wire format themselves. */
export function encodeForm(value: unknown, prefix = ''): string {
  const parts: string[] = [];
  const walk = (v: unknown, key: string) => {
    if (v === undefined || v === null) return;
    if (Array.isArray(v)) v.forEach((item, i) => walk(item, `${key}[${i}]`));
    else if (typeof v === 'object') for (const [k, child] of Object.entries(v)) walk(child, key ? `${key}[${k}]` : k);
    else parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(v))}`);
  };
  walk(value, prefix);
  return parts.join('&');
}

export function str(value: FormValue | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function int(value: FormValue | undefined): number | undefined {
  const s = str(value);
  if (s === undefined || !/^-?\d+$/.test(s)) return undefined;
  return Number(s);
}

export function list(value: FormValue | undefined): string[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return Object.values(value).filter((v): v is string => typeof v === 'string');
}

export function obj(value: FormValue | undefined): FormObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
}
