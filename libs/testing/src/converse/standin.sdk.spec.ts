import http from 'node:http';
import * as bedrock from '@aws-sdk/client-bedrock-runtime';
import { BedrockRuntimeClient, ConverseCommand, type ConverseCommandInput } from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeJpeg, tinyPng } from './fixtures';
import { startConverseStandin, type ConverseStandin } from './server';
import { CONVERSE_ERROR_STATUS, type ConverseErrorType } from './types';

const MODEL = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';

function request(overrides: Partial<ConverseCommandInput> = {}): ConverseCommandInput {
  return {
    modelId: MODEL,
    messages: [{ role: 'user', content: [{ text: 'Image 1 (overview)' }] }],
    toolConfig: {
      tools: [
        {
          toolSpec: {
            name: 'report',
            inputSchema: {
              json: { type: 'object', properties: { n: { type: 'integer', minimum: 2 } }, required: ['n'] },
            },
          },
        },
      ],
      toolChoice: { tool: { name: 'report' } },
    },
    ...overrides,
  };
}

describe('converse stand-in with the real SDK client', () => {
  let standin: ConverseStandin;
  let client: BedrockRuntimeClient;
  let noRetry: BedrockRuntimeClient;

  beforeAll(async () => {
    standin = await startConverseStandin();
    const base = {
      region: 'us-east-1',
      endpoint: standin.url,
      credentials: { accessKeyId: 'standin', secretAccessKey: 'standin' },
    };
    // Default settings apart from endpoint and credentials: the request handler is the SDK's own.
    client = new BedrockRuntimeClient(base);
    // The SDK retries throttles and 5xx by default; one attempt shows each error as sent.
    noRetry = new BedrockRuntimeClient({ ...base, maxAttempts: 1 });
  });
  afterAll(async () => {
    client.destroy();
    noRetry.destroy();
    await standin.close();
  });
  beforeEach(() => standin.reset());

  it('answers the default (HTTP/2) handler over h2c with a schema-valid tool use', async () => {
    expect(client.config.requestHandler.metadata?.handlerProtocol).toBe('h2');
    const res = await client.send(new ConverseCommand(request()));
    expect(res.stopReason).toBe('tool_use');
    const block = res.output?.message?.content?.[0];
    expect(block?.toolUse?.name).toBe('report');
    expect(block?.toolUse?.input).toEqual({ n: 2 });
    expect(res.usage?.totalTokens).toBeGreaterThan(0);
    expect(res.metrics?.latencyMs).toBeGreaterThanOrEqual(0);
    expect(standin.calls[0]!.httpVersion).toBe('2.0');
  });

  it('decodes a URL-encoded model id (profile ARN with ":" and "/")', async () => {
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-x-v1:0';
    await client.send(new ConverseCommand(request({ modelId: arn })));
    expect(standin.calls[0]!.modelId).toBe(arn);
  });

  it('records image bytes byte-identical, decoded to Buffers', async () => {
    const jpeg = fakeJpeg(640, 480, { filler: 5000 });
    const png = tinyPng(3, 2);
    await client.send(
      new ConverseCommand(
        request({
          messages: [
            {
              role: 'user',
              content: [
                { text: 'Image 1 (overview)' },
                { image: { format: 'jpeg', source: { bytes: jpeg } } },
                { text: 'Image 2 (detail)' },
                { image: { format: 'png', source: { bytes: png } } },
              ],
            },
          ],
        }),
      ),
    );
    const call = standin.calls[0]!;
    expect(call.images).toHaveLength(2);
    expect(call.images[0]!.equals(jpeg)).toBe(true);
    expect(call.images[1]!.equals(png)).toBe(true);
    expect(Buffer.isBuffer(call.body.messages![0]!.content[1]!.image!.source!.bytes)).toBe(true);
  });

  it.each(Object.entries(CONVERSE_ERROR_STATUS) as Array<[ConverseErrorType, number]>)(
    'sends %s so the SDK raises that exception class with status %i',
    async (type, status) => {
      standin.script({ kind: 'error', type, message: `scripted ${type}` });
      const err = (await noRetry.send(new ConverseCommand(request())).catch((e: unknown) => e)) as Error & {
        $metadata: { httpStatusCode: number };
      };
      const ExceptionClass = (bedrock as unknown as Record<string, new (...a: never[]) => Error>)[type]!;
      expect(err).toBeInstanceOf(ExceptionClass);
      expect(err.name).toBe(type);
      expect(err.message).toBe(`scripted ${type}`);
      expect(err.$metadata.httpStatusCode).toBe(status);
    },
  );

  it('throttle behaviour is a 429 ThrottlingException', async () => {
    standin.script({ kind: 'throttle' });
    await expect(noRetry.send(new ConverseCommand(request()))).rejects.toMatchObject({
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 429 },
    });
  });

  it('the default SDK retry strategy sees the 503 as retryable, like the service\'s', async () => {
    standin.script({ kind: 'error', type: 'ServiceUnavailableException' });
    const res = await client.send(new ConverseCommand(request()));
    expect(res.$metadata.attempts).toBe(2);
    expect(standin.calls).toHaveLength(2);
  });

  it('refuses a tool choice that names no offered tool, as the service does', async () => {
    const input = request();
    input.toolConfig!.toolChoice = { tool: { name: 'missing' } };
    await expect(client.send(new ConverseCommand(input))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('drops the answer when the client aborts during a delay, and stays usable', async () => {
    standin.script({ kind: 'answer', delayMs: 5_000 });
    const started = Date.now();
    await expect(
      client.send(new ConverseCommand(request()), { abortSignal: AbortSignal.timeout(150) }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(standin.calls).toHaveLength(1);
    await expect(client.send(new ConverseCommand(request()))).resolves.toMatchObject({ stopReason: 'tool_use' });
  });
});

describe('converse stand-in over HTTP/1.1', () => {
  it('also answers a plain HTTP/1.1 POST on the same port', async () => {
    const standin = await startConverseStandin();
    try {
      const body = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hi' }] }] });
      const res = await new Promise<{ status: number; json: Record<string, unknown> }>((resolve, reject) => {
        const req = http.request(`${standin.url}/model/m1/converse`, { method: 'POST' }, (r) => {
          let text = '';
          r.on('data', (d: Buffer) => (text += d.toString()));
          r.on('end', () => resolve({ status: r.statusCode!, json: JSON.parse(text) as Record<string, unknown> }));
        });
        req.on('error', reject);
        req.end(body);
      });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ stopReason: 'end_turn', output: { message: { role: 'assistant' } } });
      expect(standin.calls[0]!.httpVersion).toBe('1.1');
    } finally {
      await standin.close();
    }
  });
});
