import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from './cli';
import { fakeJpeg } from './fixtures';
import { startConverseStandin, type ConverseStandin } from './server';
import type { ConverseRequestBody } from './types';

interface WireAnswer {
  status: number;
  errorType: string | null;
  json: {
    message?: string;
    stopReason?: string;
    output?: { message: { content: Array<{ text?: string; toolUse?: { name: string; input: unknown } }> } };
    usage?: Record<string, number>;
  };
}

const SCHEMA = {
  type: 'object',
  properties: { devices: { type: 'array', items: { type: 'object' } }, ok: { type: 'boolean' } },
  required: ['devices', 'ok'],
};

function body(extra: Partial<ConverseRequestBody> = {}): ConverseRequestBody {
  return {
    system: [{ text: 'You identify audio equipment. '.repeat(40) }, { cachePoint: { type: 'default' } }],
    messages: [{ role: 'user', content: [{ text: 'Image 1 (overview)' }] }],
    toolConfig: {
      tools: [{ toolSpec: { name: 'identify', inputSchema: { json: SCHEMA } } }, { cachePoint: { type: 'default' } }],
      toolChoice: { tool: { name: 'identify' } },
    },
    inferenceConfig: { maxTokens: 512, temperature: 0 },
    ...extra,
  };
}

describe('converse stand-in behaviours', () => {
  let standin: ConverseStandin;
  const converse = async (b: ConverseRequestBody = body(), model = 'm'): Promise<WireAnswer> => {
    const res = await fetch(`${standin.url}/model/${encodeURIComponent(model)}/converse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(b),
    });
    return { status: res.status, errorType: res.headers.get('x-amzn-errortype'), json: (await res.json()) as WireAnswer['json'] };
  };
  const toolUse = (a: WireAnswer) => a.json.output?.message.content.find((c) => c.toolUse)?.toolUse;

  beforeAll(async () => {
    standin = await startConverseStandin();
  });
  afterAll(() => standin.close());
  beforeEach(() => standin.reset());

  it('derives a minimal schema-valid answer for the requested tool', async () => {
    const a = await converse();
    expect(a.json.stopReason).toBe('tool_use');
    expect(toolUse(a)).toEqual({ name: 'identify', input: { devices: [], ok: false }, toolUseId: expect.any(String) });
  });

  it('uses the responder for the tool input, and records the call it was given', async () => {
    standin.setResponder((call) => ({ devices: [{ seen: call.seq }], ok: true }));
    expect(toolUse(await converse())?.input).toEqual({ devices: [{ seen: 1 }], ok: true });
  });

  it('answers 500 with a clear message when no answer can be derived and no responder is set', async () => {
    const b = body();
    b.toolConfig!.tools![0]!.toolSpec!.inputSchema = {
      json: { type: 'object', properties: { clock: { type: 'string', pattern: '^\\d+$' } }, required: ['clock'] },
    };
    const a = await converse(b);
    expect(a.status).toBe(500);
    expect(a.errorType).toMatch(/^InternalServerException:/);
    expect(a.json.message).toMatch(/pass a responder/);
  });

  it('plays scripted behaviours once each, in order, before falling back', async () => {
    standin.script({ kind: 'throttle' }, { kind: 'answer', input: { devices: [], ok: true } });
    expect((await converse()).status).toBe(429);
    expect(toolUse(await converse())?.input).toEqual({ devices: [], ok: true });
    expect(toolUse(await converse())?.input).toEqual({ devices: [], ok: false });
  });

  it('throttles exactly every other call with fraction 0.5 (deterministic)', async () => {
    standin.rule({ behaviour: { kind: 'throttle' }, fraction: 0.5 });
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await converse()).status);
    expect(statuses).toEqual([200, 429, 200, 429, 200, 429]);
  });

  it('spreads a fraction of 0.25 evenly over matching calls only', async () => {
    standin.rule({ behaviour: { kind: 'error', type: 'ServiceUnavailableException' }, fraction: 0.25, when: (c) => c.modelId === 'a' });
    const seen: string[] = [];
    for (let i = 0; i < 8; i++) seen.push(`${(await converse(body(), 'a')).status}/${(await converse(body(), 'b')).status}`);
    expect(seen.filter((s) => s.startsWith('503'))).toHaveLength(2);
    expect(seen.every((s) => s.endsWith('/200'))).toBe(true);
  });

  it('stops a rule after `times` applications', async () => {
    standin.rule({ behaviour: { kind: 'error', type: 'InternalServerException' }, times: 2 });
    const statuses = [await converse(), await converse(), await converse()].map((a) => a.status);
    expect(statuses).toEqual([500, 500, 200]);
  });

  it('answers each malformed variant', async () => {
    standin.script(
      { kind: 'malformed', variant: 'schema_mismatch' },
      { kind: 'malformed', variant: 'not_object' },
      { kind: 'malformed', variant: 'no_tool_use' },
      { kind: 'malformed', variant: 'wrong_tool_name' },
    );
    expect(toolUse(await converse())?.input).toEqual({ standin_unexpected: true });
    expect(typeof toolUse(await converse())?.input).toBe('string');
    const noTool = await converse();
    expect([noTool.json.stopReason, toolUse(noTool)]).toEqual(['end_turn', undefined]);
    expect(toolUse(await converse())?.name).toBe('identify_other');
  });

  it('answers max_tokens with a cut-off tool input and output tokens at the limit', async () => {
    standin.script({ kind: 'max_tokens' });
    const a = await converse();
    expect(a.json.stopReason).toBe('max_tokens');
    expect(toolUse(a)?.input).toEqual({});
    expect(a.json.usage?.outputTokens).toBe(512);
  });

  it('waits the scripted delay before answering', async () => {
    standin.script({ kind: 'answer', delayMs: 200 });
    const started = Date.now();
    await converse();
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('estimates image tokens from the header and simulates prompt caching', async () => {
    const withImage = body({
      messages: [
        {
          role: 'user',
          content: [{ text: 'Image 1' }, { image: { format: 'jpeg', source: { bytes: fakeJpeg(1500, 1000).toString('base64') } } }],
        },
      ],
    });
    const first = (await converse(withImage)).json.usage!;
    const second = (await converse(withImage)).json.usage!;
    expect(first.inputTokens).toBe(2 + 2000); // "Image 1" -> 2, 1500*1000/750 -> 2000
    expect(first.cacheWriteInputTokens).toBeGreaterThan(0);
    expect(first.cacheReadInputTokens).toBe(0);
    expect(second.cacheReadInputTokens).toBe(first.cacheWriteInputTokens);
    expect(second.cacheWriteInputTokens).toBe(0);
    expect(second.totalTokens).toBe(second.inputTokens + second.outputTokens + second.cacheReadInputTokens);
  });

  it('does not report cache tokens for a request without a cachePoint', async () => {
    const b = body({ system: [{ text: 'plain' }] });
    b.toolConfig!.tools = b.toolConfig!.tools!.filter((t) => t.toolSpec);
    await converse(b);
    const usage = (await converse(b)).json.usage!;
    expect([usage.cacheReadInputTokens, usage.cacheWriteInputTokens]).toEqual([0, 0]);
  });

  it('answers a request without messages with ValidationException', async () => {
    const a = await converse(body({ messages: [] }));
    expect([a.status, a.errorType?.split(':')[0]]).toEqual([400, 'ValidationException']);
  });

  it('reset forgets calls, scripts, rules and the prompt cache', async () => {
    standin.rule({ behaviour: { kind: 'throttle' } });
    standin.script({ kind: 'throttle' });
    await converse();
    standin.reset();
    expect(standin.calls).toHaveLength(0);
    const a = await converse();
    expect(a.status).toBe(200);
    expect(a.json.usage?.cacheReadInputTokens).toBe(0);
  });
});

describe('converse stand-in CLI', () => {
  it('starts on the port from CONVERSE_STANDIN_PORT and prints its URL', async () => {
    const probe = await startConverseStandin();
    const port = probe.port;
    await probe.close();
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const standin = await main([], { CONVERSE_STANDIN_PORT: String(port) });
    try {
      expect(standin.port).toBe(port);
      expect(write).toHaveBeenCalledWith(`http://127.0.0.1:${port}\n`);
    } finally {
      write.mockRestore();
      await standin.close();
    }
  });

  it('refuses a port that is not a number', async () => {
    await expect(main(['http'], {})).rejects.toThrow(/port must be an integer/);
  });
});
