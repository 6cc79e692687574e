import { createHash } from 'node:crypto';
import { readImageSize } from './image-size';
import type { ConverseRequestBody, WireContentBlock } from './types';

export interface WireUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cacheReadInputTokens: number;
  cacheWriteInputTokens: number;
}

/** Used when an image header cannot be read: roughly what Claude charges for a large photo. */
const UNKNOWN_IMAGE_TOKENS = 1600;

const textTokens = (chars: number): number => Math.ceil(chars / 4);

export function imageTokens(bytes: Buffer): number {
  const size = readImageSize(bytes);
  return size ? Math.ceil((size.width * size.height) / 750) : UNKNOWN_IMAGE_TOKENS;
}

function blockChars(blocks: WireContentBlock[] | undefined): number {
  return (blocks ?? []).reduce((n, b) => n + (typeof b.text === 'string' ? b.text.length : 0), 0);
}

export function hasCachePoint(body: ConverseRequestBody): boolean {
  const blocks = [
    ...(body.system ?? []),
    ...(body.toolConfig?.tools ?? []),
    ...(body.messages ?? []).flatMap((m) => m.content ?? []),
  ];
  return blocks.some((b) => b && typeof b === 'object' && 'cachePoint' in b && b.cachePoint);
}

/**
 * Simulated prompt cache: the cacheable prefix is the system prompt plus the tool definitions,
 * keyed per model. The first request with a cachePoint writes it; later ones with the same
 * prefix read it.
 */
export class PromptCacheSim {
  private readonly seen = new Set<string>();

  /** Returns 'read' or 'write' for a cacheable request, null for one without a cachePoint. */
  touch(modelId: string, body: ConverseRequestBody): 'read' | 'write' | null {
    if (!hasCachePoint(body)) return null;
    const key = createHash('sha256')
      .update(modelId)
      .update(JSON.stringify(body.system ?? []))
      .update(JSON.stringify(body.toolConfig?.tools ?? []))
      .digest('hex');
    if (this.seen.has(key)) return 'read';
    this.seen.add(key);
    return 'write';
  }

  clear(): void {
    this.seen.clear();
  }
}

/**
 * Token usage in the service's convention: inputTokens excludes the cached prefix, which is
 * reported as cache read or write instead; totalTokens is the sum of all four.
 */
export function estimateUsage(
  body: ConverseRequestBody,
  images: Buffer[],
  output: unknown,
  cache: 'read' | 'write' | null,
  outputTokensOverride?: number,
): WireUsage {
  const prefix = textTokens(blockChars(body.system) + JSON.stringify(body.toolConfig?.tools ?? []).length);
  const messages =
    textTokens((body.messages ?? []).reduce((n, m) => n + blockChars(m.content), 0)) +
    images.reduce((n, img) => n + imageTokens(img), 0);
  const outputTokens = outputTokensOverride ?? Math.max(1, textTokens(JSON.stringify(output ?? '').length));
  const cacheReadInputTokens = cache === 'read' ? prefix : 0;
  const cacheWriteInputTokens = cache === 'write' ? prefix : 0;
  const inputTokens = messages + (cache ? 0 : prefix);
  return {
    inputTokens,
    outputTokens,
    cacheReadInputTokens,
    cacheWriteInputTokens,
    totalTokens: inputTokens + outputTokens + cacheReadInputTokens + cacheWriteInputTokens,
  };
}
