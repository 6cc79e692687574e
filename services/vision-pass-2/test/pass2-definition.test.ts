import { pass2MaxTokens } from '../src/pass2.handler';

describe('pass 2 answer budget', () => {
  it('grows with the controls a request asks for, within 2 048 and 16 384 tokens', () => {
    expect(pass2MaxTokens(0, [])).toBe(2_048);
    expect(pass2MaxTokens(1, [])).toBe(2_700); // 300 + 40 controls × 60
    const layout = { device_index: 0, controls: Array.from({ length: 8 }, () => ({ label: 'X', section: null, type: 'knob' as const })) };
    expect(pass2MaxTokens(1, [layout])).toBe(2_048); // 10 controls: the floor
    expect(pass2MaxTokens(4, [layout])).toBe(300 + (10 + 3 * 40) * 60);
    expect(pass2MaxTokens(30, [])).toBe(16_384);
  });
});
