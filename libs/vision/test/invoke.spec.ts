import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeJpeg, startConverseStandin, tinyPng, type ConverseErrorType, type ConverseStandin } from '../../testing/src/converse';
import {
  buildConverseInput,
  costMicroUsd,
  createBedrockClient,
  invokeVisionPass,
  toolInputJsonSchema,
  VisionCallError,
  type VisionErrorKind,
  type VisionPass,
} from '../src';
import { PASS1_ANSWER, PASS2_ANSWER } from './fixtures';

const MODEL = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';
const images = [
  { bytes: fakeJpeg(1568, 1176, { filler: 20_000 }), format: 'jpeg' as const, label: 'overview' },
  { bytes: tinyPng(64, 48), format: 'png' as const, label: 'detail' },
];
const input = (pass: VisionPass, maxTokens = 4000) =>
  buildConverseInput({ pass, modelId: MODEL, images, maxTokens, ...(pass === 2 ? { context: { pass1: PASS1_ANSWER } } : {}) });

async function failure(p: Promise<unknown>): Promise<VisionCallError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VisionCallError);
  return err as VisionCallError;
}

describe('invokeVisionPass against the Converse stand-in', () => {
  let standin: ConverseStandin;
  let client: BedrockRuntimeClient;
  const call = (pass: VisionPass = 1, opts: { timeoutMs?: number; signal?: AbortSignal; deviceCount?: number } = {}) =>
    invokeVisionPass(client, input(pass), { timeoutMs: opts.timeoutMs ?? 5_000, ...opts });

  beforeAll(async () => {
    standin = await startConverseStandin({
      responder: (c) => (c.toolName === 'equipment_identification' ? PASS1_ANSWER : PASS2_ANSWER),
    });
    client = createBedrockClient({ region: 'us-east-1', endpoint: standin.url, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  });
  afterAll(async () => {
    client.destroy();
    await standin.close();
  });
  beforeEach(() => standin.reset());

  it('P3: pass 1 returns the validated equipment answer with usage and latency', async () => {
    const res = await call(1);
    expect(res.pass).toBe(1);
    expect(res.output).toEqual(PASS1_ANSWER);
    expect(res.stopReason).toBe('tool_use');
    expect(res.usage.inputTokens).toBeGreaterThan(2_400); // 1568×1176/750 image tokens alone
    expect(res.usage.outputTokens).toBeGreaterThan(0);
    expect(res.latencyMs).toBeGreaterThanOrEqual(0);
    expect(Number.isInteger(costMicroUsd(res.modelId, res.usage))).toBe(true);
  });

  it('P4: pass 2 returns schema-validated control positions, ready to store', async () => {
    const res = await call(2, { deviceCount: 2 });
    expect(res.pass === 2 && res.output.devices[0]!.controls[0]!.position).toEqual({ clock: '2:00', travel: 0.7, index_0_10: null });
  });

  it('sends the tool JSON Schema generated from zod, as the service receives it', async () => {
    await call(2);
    const sent = standin.calls[0]!.body.toolConfig!;
    expect(sent.tools![0]!.toolSpec!.inputSchema!.json).toEqual(toolInputJsonSchema(2));
    expect(sent.toolChoice).toEqual({ tool: { name: 'control_positions' } });
  });

  it('delivers the images byte-identical, in order', async () => {
    await call(1);
    const received = standin.calls[0]!.images;
    expect(received).toHaveLength(2);
    expect(received[0]!.equals(images[0]!.bytes)).toBe(true);
    expect(received[1]!.equals(images[1]!.bytes)).toBe(true);
  });

  it('makes exactly one attempt per call: SDK retries are off', async () => {
    standin.script({ kind: 'throttle' });
    await failure(call());
    expect(standin.calls).toHaveLength(1);
  });

  it.each<[ConverseErrorType, VisionErrorKind, boolean]>([
    ['ThrottlingException', 'throttled', true],
    ['ServiceQuotaExceededException', 'quota', false],
    ['ValidationException', 'invalid_request', false],
    ['AccessDeniedException', 'invalid_request', false],
    ['ResourceNotFoundException', 'invalid_request', false],
    ['InternalServerException', 'transient', true],
    ['ServiceUnavailableException', 'transient', true],
    ['ModelTimeoutException', 'transient', true],
    ['ModelNotReadyException', 'transient', true],
    ['ModelErrorException', 'transient', true],
  ])('classifies %s as %s (retryable: %s)', async (type, kind, retryable) => {
    standin.script({ kind: 'error', type });
    const err = await failure(call());
    expect([err.kind, err.retryable, err.code, err.outcome]).toEqual([kind, retryable, type, kind]);
    expect(err.reason).toMatch(/^The AI service .*\.$/);
    expect(err.usage).toBeNull();
    expect(err.latencyMs).toBeGreaterThanOrEqual(0);
    expect(err.httpStatus).toBeGreaterThanOrEqual(400);
  });

  it.each([
    ['schema_mismatch', 'SchemaMismatch'],
    ['not_object', 'NotAnObject'],
    ['no_tool_use', 'NoToolUse'],
    ['wrong_tool_name', 'ToolNameMismatch'],
  ] as const)('classifies a malformed answer (%s) as bad_output, keeping the usage', async (variant, code) => {
    standin.script({ kind: 'malformed', variant });
    const err = await failure(call());
    expect([err.kind, err.code, err.retryable]).toEqual(['bad_output', code, true]);
    expect(err.usage?.outputTokens).toBeGreaterThan(0);
  });

  it('names the failing fields of a schema mismatch in a readable sentence', async () => {
    const bad = structuredClone(PASS1_ANSWER) as unknown as { devices: Array<Record<string, unknown>> };
    bad.devices[0]!.confidence = 1.5;
    bad.devices[1]!.category = 'toaster';
    standin.script({ kind: 'answer', input: bad });
    const err = await failure(call());
    expect(err.reason).toMatch(/^The AI answer did not have the expected structure: devices\[0\]\.confidence: .*; devices\[1\]\.category: .*\.$/);
  });

  it('rejects a pass 2 answer naming a device pass 1 did not find', async () => {
    const err = await failure(call(2, { deviceCount: 1 }));
    expect([err.kind, err.code]).toEqual(['bad_output', 'BadReference']);
    expect(err.reason).toMatch(/device_index: 1 names no pass 1 device/);
  });

  it('classifies stopReason max_tokens as truncated, not retried as is', async () => {
    standin.script({ kind: 'max_tokens' });
    const err = await failure(call());
    expect([err.kind, err.retryable, err.stopReason]).toEqual(['truncated', false, 'max_tokens']);
    expect(err.usage?.outputTokens).toBe(4000);
  });

  it('aborts a call that outlives its timeout and reports it as a transient timeout', async () => {
    standin.script({ kind: 'answer', delayMs: 10_000 });
    const started = Date.now();
    const err = await failure(call(1, { timeoutMs: 200 }));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect([err.kind, err.code, err.timedOut, err.outcome, err.retryable]).toEqual(['transient', 'Timeout', true, 'timeout', true]);
    expect(err.latencyMs).toBeGreaterThanOrEqual(190);
    expect(standin.calls).toHaveLength(1);
  });

  it("honours the caller's abort signal", async () => {
    standin.script({ kind: 'answer', delayMs: 10_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const err = await failure(call(1, { signal: controller.signal }));
    expect([err.kind, err.code, err.timedOut]).toEqual(['transient', 'Aborted', false]);
  });

  it('reports cache read tokens on the second call with the same prompt prefix', async () => {
    const first = await call(2);
    const second = await call(2);
    expect(first.usage.cacheWriteTokens).toBeGreaterThan(0);
    expect(first.usage.cacheReadTokens).toBe(0);
    expect(second.usage.cacheReadTokens).toBe(first.usage.cacheWriteTokens);
    expect(costMicroUsd(MODEL, second.usage)).toBeLessThan(costMicroUsd(MODEL, first.usage));
  });

  it('refuses an input that was not built for a vision pass', async () => {
    const plain = { modelId: MODEL, messages: [{ role: 'user' as const, content: [{ text: 'hi' }] }] };
    await expect(invokeVisionPass(client, plain, { timeoutMs: 1_000 })).rejects.toThrow(/not built by buildConverseInput/);
  });
});

describe('invokeVisionPass without a reachable service', () => {
  it('classifies a refused connection as transient', async () => {
    const gone = await startConverseStandin();
    await gone.close();
    const client = createBedrockClient({ region: 'us-east-1', endpoint: gone.url, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    try {
      const err = await failure(invokeVisionPass(client, input(1), { timeoutMs: 2_000 }));
      expect([err.kind, err.retryable, err.timedOut]).toEqual(['transient', true, false]);
    } finally {
      client.destroy();
    }
  });

  it('createBedrockClient defaults to a single attempt', async () => {
    const client = createBedrockClient({ region: 'us-east-1' });
    expect(await client.config.maxAttempts()).toBe(1);
    client.destroy();
    expect(() => createBedrockClient({ region: 'us-east-1', maxAttempts: 0 })).toThrow(RangeError);
  });
});
