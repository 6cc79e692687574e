import { ConfigError, loadConfig } from '@sessionpix/config';

// The vision services alone: what other services require is their tests' business.
const edges = { AWS_REGION: 'us-east-1', S3_BUCKET: 'sessionpix-test', SESSIONPIX_SERVICES: 'vision-pass-1,vision-pass-2' };

function problemsOf(env: Record<string, string>): { variable: string; message: string }[] {
  try {
    loadConfig({ ...edges, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('vision configuration', () => {
  it('escalates pass 1 to Sonnet below 0.6 confidence, and sets no limits or price table of its own by default', () => {
    const config = loadConfig(edges);
    expect(config.VISION_PASS1_ESCALATION_MODEL).toBe('us.anthropic.claude-sonnet-4-5-20250929-v1:0');
    expect(config.VISION_PASS1_ESCALATION_CONFIDENCE).toBe(0.6);
    expect(config.VISION_MODEL_LIMITS).toBeUndefined();
    expect(config.VISION_PRICE_TABLE).toBeUndefined();
  });

  it('reads per-model limits as JSON, "*" for the rest', () => {
    const config = loadConfig({
      ...edges,
      VISION_MODEL_LIMITS: '{"us.anthropic.claude-haiku-4-5-20251001-v1:0":{"requestsPerMinute":200,"tokensPerMinute":400000},"*":{"tokensPerMinute":1000000}}',
    });
    expect(config.VISION_MODEL_LIMITS).toEqual({
      'us.anthropic.claude-haiku-4-5-20251001-v1:0': { requestsPerMinute: 200, tokensPerMinute: 400_000 },
      '*': { tokensPerMinute: 1_000_000 },
    });
  });

  it('names the variable when limits or the threshold are wrong', () => {
    expect(problemsOf({ VISION_MODEL_LIMITS: '{nope' })).toEqual([
      { variable: 'VISION_MODEL_LIMITS', message: expect.stringMatching(/JSON object of model id/) },
    ]);
    expect(problemsOf({ VISION_MODEL_LIMITS: '{"m":{"requestsPerMinute":-1}}' }).map((p) => p.variable)).toEqual(['VISION_MODEL_LIMITS']);
    expect(problemsOf({ VISION_MODEL_LIMITS: '{"m":{"rpm":10}}' }).map((p) => p.variable)).toEqual(['VISION_MODEL_LIMITS']);
    expect(problemsOf({ VISION_PASS1_ESCALATION_CONFIDENCE: '1.5' }).map((p) => p.variable)).toEqual(['VISION_PASS1_ESCALATION_CONFIDENCE']);
  });
});
