import { CannotDeriveError, minimalInstance } from './default-answer';
import type { Behaviour, RecordedCall, Responder, WireContentBlock } from './types';
import { estimateUsage, type PromptCacheSim } from './usage';
import { errorResponse, successResponse, toolUseBlock, type WireResponse } from './wire';

export interface AnswerContext {
  responder?: Responder;
  cache: PromptCacheSim;
  /** When the request arrived, for `metrics.latencyMs`. */
  startedAt: number;
}

class NoAnswerError extends Error {}

/** Turns the chosen behaviour (or none: the default answer) into the HTTP response. */
export async function answerFor(
  call: RecordedCall,
  behaviour: Behaviour | undefined,
  ctx: AnswerContext,
): Promise<WireResponse> {
  const b = behaviour ?? { kind: 'answer' };
  if (b.kind === 'error') return errorResponse(b.type, b.message);
  if (b.kind === 'throttle') return errorResponse('ThrottlingException', b.message);

  const tool = call.toolName;
  let content: WireContentBlock[];
  let stopReason: 'tool_use' | 'end_turn' | 'max_tokens' = 'tool_use';
  let outputTokens: number | undefined;
  try {
    switch (b.kind) {
      case 'answer': {
        const input = b.input !== undefined ? b.input : await defaultInput(call, ctx.responder);
        if (tool) content = [toolUseBlock(tool, input)];
        else [content, stopReason] = [[{ text: typeof input === 'string' ? input : JSON.stringify(input) }], 'end_turn'];
        break;
      }
      case 'malformed':
        [content, stopReason] = await malformed(b, call, ctx.responder);
        break;
      case 'max_tokens':
        content = [toolUseBlock(tool ?? 'unknown_tool', b.input ?? {})];
        stopReason = 'max_tokens';
        outputTokens = call.body.inferenceConfig?.maxTokens;
        break;
    }
  } catch (err) {
    return errorResponse('InternalServerException', `converse stand-in: ${(err as Error).message}`);
  }
  const cache = ctx.cache.touch(call.modelId, call.body);
  const usage = estimateUsage(call.body, call.images, content, cache, outputTokens);
  return successResponse(content, stopReason, usage, Date.now() - ctx.startedAt);
}

async function malformed(
  b: Extract<Behaviour, { kind: 'malformed' }>,
  call: RecordedCall,
  responder: Responder | undefined,
): Promise<[WireContentBlock[], 'tool_use' | 'end_turn']> {
  const tool = call.toolName ?? 'unknown_tool';
  switch (b.variant) {
    case 'schema_mismatch':
      return [[toolUseBlock(tool, b.input ?? { standin_unexpected: true })], 'tool_use'];
    case 'not_object':
      return [[toolUseBlock(tool, b.input ?? '{"devices": [')], 'tool_use'];
    case 'no_tool_use':
      return [[{ text: 'I can describe this photo in prose instead.' }], 'end_turn'];
    case 'wrong_tool_name':
      return [[toolUseBlock(`${tool}_other`, b.input ?? (await defaultInput(call, responder)))], 'tool_use'];
  }
}

/** The responder's answer, else the smallest input the requested tool's schema accepts. */
async function defaultInput(call: RecordedCall, responder: Responder | undefined): Promise<unknown> {
  if (responder) {
    let answer: unknown;
    try {
      answer = await responder(call);
    } catch (err) {
      throw new NoAnswerError(`the responder threw: ${(err as Error).message}`);
    }
    if (answer !== undefined) return answer;
  }
  if (!call.toolName) return 'ok';
  const spec = call.body.toolConfig?.tools?.find((t) => t.toolSpec?.name === call.toolName)?.toolSpec;
  try {
    return minimalInstance(spec?.inputSchema?.json);
  } catch (err) {
    if (!(err instanceof CannotDeriveError)) throw err;
    throw new NoAnswerError(
      `no scripted behaviour matched and no responder answered, and no default answer can be derived ` +
        `for tool "${call.toolName}" (${err.message}); pass a responder to startConverseStandin`,
    );
  }
}
