import type { ContentBlock } from '@aws-sdk/client-bedrock-runtime';
import type { z } from 'zod';
import { OUTPUT_SCHEMA, TOOL_NAME, type PassOutput, type VisionPass } from './passes';
import type { Pass2Output } from './schemas/pass2';

export type ToolAnswer<P extends VisionPass> =
  | { ok: true; output: PassOutput<P> }
  | { ok: false; code: string; problem: string };

export interface AnswerLimits {
  /** Images sent: every image_index must name one of them. */
  imageCount: number;
  /** Devices pass 1 found: every device_index must name one of them. */
  deviceCount?: number;
}

const MAX_LISTED_ISSUES = 5;

/** Finds the tool use in the answer and validates it with the pass's zod schema. */
export function readToolAnswer<P extends VisionPass>(
  pass: P,
  content: ContentBlock[] | undefined,
  limits: AnswerLimits,
): ToolAnswer<P> {
  const uses = (content ?? []).flatMap((b) => (b.toolUse ? [b.toolUse] : []));
  const expected = TOOL_NAME[pass];
  if (uses.length === 0) return { ok: false, code: 'NoToolUse', problem: 'the answer contains no tool use' };
  const use = uses.find((u) => u.name === expected);
  if (!use) {
    return { ok: false, code: 'ToolNameMismatch', problem: `the answer used tool "${uses[0]!.name}" instead of "${expected}"` };
  }
  if (typeof use.input !== 'object' || use.input === null || Array.isArray(use.input)) {
    return { ok: false, code: 'NotAnObject', problem: `the tool input is ${Array.isArray(use.input) ? 'an array' : typeof use.input}, not an object` };
  }
  const parsed = (OUTPUT_SCHEMA[pass] as z.ZodType).safeParse(use.input);
  if (!parsed.success) {
    return { ok: false, code: 'SchemaMismatch', problem: describeIssues(parsed.error.issues) };
  }
  const output = parsed.data as PassOutput<P>;
  const badRef = pass === 2 ? checkReferences(output as Pass2Output, limits) : null;
  if (badRef) return { ok: false, code: 'BadReference', problem: badRef };
  return { ok: true, output };
}

/** "devices[0].confidence: Too big: expected number to be <=1; …and 3 more problems". */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const listed = issues.slice(0, MAX_LISTED_ISSUES).map((i) => `${formatPath(i.path)}: ${i.message}`);
  const more = issues.length - listed.length;
  return listed.join('; ') + (more > 0 ? `; and ${more} more problem${more === 1 ? '' : 's'}` : '');
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(answer)';
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${String(k)}`)).join('');
}

function checkReferences(output: Pass2Output, limits: AnswerLimits): string | null {
  for (const [d, device] of output.devices.entries()) {
    if (limits.deviceCount !== undefined && device.device_index >= limits.deviceCount) {
      return `devices[${d}].device_index: ${device.device_index} names no pass 1 device (there are ${limits.deviceCount})`;
    }
    for (const [c, control] of device.controls.entries()) {
      if (control.image_index > limits.imageCount) {
        return `devices[${d}].controls[${c}].image_index: ${control.image_index} names no image (there are ${limits.imageCount})`;
      }
    }
  }
  return null;
}
