import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROMPT_VERSION, type VisionPass } from './passes';

/**
 * Prompts live in `src/prompts/<version>.md` and are read at run time. tsc does not copy .md
 * files, so the directory is resolved from the package root: this file sits one level below
 * it both as `src/prompt-loader.ts` and as `dist/prompt-loader.js`, so `../src/prompts`
 * finds the same files from either. A deployment must therefore ship `src/prompts/` beside
 * `dist/`; a missing file fails with a message naming the path.
 */
export const PROMPT_DIR = path.join(__dirname, '..', 'src', 'prompts');

export interface LoadedPrompt {
  version: string;
  text: string;
  /** Lets a model_call or Analysis row prove which exact text was sent. */
  sha256: string;
}

const cache = new Map<VisionPass, LoadedPrompt>();

export function loadPrompt(pass: VisionPass): LoadedPrompt {
  const hit = cache.get(pass);
  if (hit) return hit;
  const version = PROMPT_VERSION[pass];
  const file = path.join(PROMPT_DIR, `${version}.md`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new Error(`vision prompt ${version} not found at ${file}: ship libs/vision/src/prompts with the build`, {
      cause: err,
    });
  }
  const prompt = { version, text, sha256: createHash('sha256').update(text).digest('hex') };
  cache.set(pass, prompt);
  return prompt;
}
