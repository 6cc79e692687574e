import {
  ConverseCommand,
  type BedrockRuntimeClient,
  type ConverseCommandInput,
  type ConverseCommandOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { classifySdkError, VISION_ERROR_REASON } from './classify';
import { VisionCallError, type VisionUsage } from './errors';
import { passForTool, type PassOutput, type VisionPass } from './passes';
import { readToolAnswer } from './validate';

export interface InvokeVisionOptions {
  /** Every call is bounded: the request is aborted after this long. */
  timeoutMs: number;
  /** The caller's own cancellation (worker shutdown); combined with the timeout. */
  signal?: AbortSignal;
  /** Pass 2: how many devices pass 1 found, to reject answers naming others. */
  deviceCount?: number;
}

interface SuccessBase {
  ok: true;
  modelId: string;
  usage: VisionUsage;
  /** Wall-clock time of the call as we saw it. */
  latencyMs: number;
  /** The service's own `metrics.latencyMs`. */
  modelLatencyMs: number | undefined;
  stopReason: string;
}

export type VisionCallSuccess = { [P in VisionPass]: SuccessBase & { pass: P; output: PassOutput<P> } }[VisionPass];

/**
 * One attempt of one pass. Resolves with the validated output or throws a VisionCallError;
 * both carry usage (where the service reported it) and latency for the model_call row.
 */
export async function invokeVisionPass(
  client: BedrockRuntimeClient,
  input: ConverseCommandInput,
  options: InvokeVisionOptions,
): Promise<VisionCallSuccess> {
  const modelId = input.modelId ?? '';
  const pass = passForTool(input.toolConfig?.toolChoice && 'tool' in input.toolConfig.toolChoice ? input.toolConfig.toolChoice.tool?.name : undefined);
  if (!pass) throw new TypeError('invokeVisionPass: the input was not built by buildConverseInput (no vision tool choice)');

  const timeout = AbortSignal.timeout(options.timeoutMs);
  const abortSignal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const started = performance.now();
  let response: ConverseCommandOutput;
  try {
    response = await client.send(new ConverseCommand(input), { abortSignal });
  } catch (err) {
    throw classifySdkError(err, {
      modelId,
      latencyMs: elapsed(started),
      timeoutMs: options.timeoutMs,
      timedOut: timeout.aborted && !options.signal?.aborted,
      cancelled: options.signal?.aborted ?? false,
    });
  }
  const latencyMs = elapsed(started);
  const usage = usageOf(response);
  const stopReason = response.stopReason ?? 'unknown';
  const fail = (kind: 'bad_output' | 'truncated', code: string, problem: string, retryable?: boolean): VisionCallError =>
    new VisionCallError({
      kind,
      code,
      modelId,
      latencyMs,
      usage,
      stopReason,
      retryable,
      httpStatus: response.$metadata.httpStatusCode,
      reason: kind === 'bad_output' ? `${VISION_ERROR_REASON.bad_output.slice(0, -1)}: ${problem}.` : VISION_ERROR_REASON.truncated,
      detail: `${code}: ${problem}`,
    });

  if (stopReason === 'max_tokens') {
    throw fail('truncated', 'MaxTokens', `stopped at maxTokens (${input.inferenceConfig?.maxTokens ?? '?'}) with ${usage.outputTokens} output tokens`);
  }
  if (stopReason === 'content_filtered' || stopReason === 'guardrail_intervened') {
    throw fail('bad_output', 'ContentFiltered', `the service withheld the answer (${stopReason})`, false);
  }
  const content = response.output && 'message' in response.output ? response.output.message?.content : undefined;
  const imageCount = (input.messages ?? []).reduce((n, m) => n + (m.content ?? []).filter((b) => b.image).length, 0);
  const answer = readToolAnswer(pass, content, { imageCount, deviceCount: options.deviceCount });
  if (!answer.ok) throw fail('bad_output', answer.code, answer.problem);

  const base = { ok: true as const, modelId, usage, latencyMs, modelLatencyMs: response.metrics?.latencyMs, stopReason };
  return pass === 1
    ? { ...base, pass: 1, output: answer.output as PassOutput<1> }
    : { ...base, pass: 2, output: answer.output as PassOutput<2> };
}

function usageOf(response: ConverseCommandOutput): VisionUsage {
  const u = response.usage;
  return {
    inputTokens: u?.inputTokens ?? 0,
    outputTokens: u?.outputTokens ?? 0,
    cacheReadTokens: u?.cacheReadInputTokens ?? 0,
    cacheWriteTokens: u?.cacheWriteInputTokens ?? 0,
  };
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
