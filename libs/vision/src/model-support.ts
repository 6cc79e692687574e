import { baseModelId } from './cost';

/**
 * Bedrock prompt caching (cachePoint blocks) per model family, with the smallest prefix the
 * model caches: a shorter prefix is sent uncached at no penalty. A model not listed here gets no
 * cachePoint at all, since Bedrock refuses the block for models without the feature. Keys are
 * base model id prefixes (see baseModelId); an application inference profile ARN names no
 * model, so it is sent without cache points.
 */
const PROMPT_CACHE_MIN_TOKENS: Readonly<Record<string, number>> = {
  'anthropic.claude-3-5-haiku': 2048,
  'anthropic.claude-3-7-sonnet': 1024,
  'anthropic.claude-haiku-4-5': 4096,
  'anthropic.claude-sonnet-4': 1024,
  'anthropic.claude-opus-4': 1024,
};

function familyOf(modelId: string): string | undefined {
  const base = baseModelId(modelId);
  return Object.keys(PROMPT_CACHE_MIN_TOKENS)
    .filter((k) => base.startsWith(k))
    .sort((a, b) => b.length - a.length)[0];
}

export function supportsPromptCaching(modelId: string): boolean {
  return familyOf(modelId) !== undefined;
}

/** The shortest cacheable prefix in tokens, or null when the model does not cache prompts. */
export function promptCacheMinTokens(modelId: string): number | null {
  const family = familyOf(modelId);
  return family ? PROMPT_CACHE_MIN_TOKENS[family]! : null;
}
