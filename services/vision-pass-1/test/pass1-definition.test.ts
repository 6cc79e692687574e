import { testConfig } from '@sessionpix/testing';
import { Pass1OutputSchema } from '@sessionpix/vision';
import { lowConfidence, withNormalizedSerials } from '../src/pass1.handler';
import { PASS1_ANSWER } from '../../../libs/vision/test/fixtures';

describe('pass 1 answers', () => {
  it('are unsure when any device is identified below the escalation threshold', () => {
    const config = testConfig({});
    expect(config.VISION_PASS1_ESCALATION_CONFIDENCE).toBe(0.6);
    expect(config.VISION_PASS1_ESCALATION_MODEL).not.toBe(config.VISION_PASS1_MODEL);
    expect(lowConfidence(PASS1_ANSWER, 0.6)).toBeNull();
    const unsure = structuredClone(PASS1_ANSWER);
    unsure.devices[1]!.model_confidence = 0.4;
    expect(lowConfidence(unsure, 0.6)).toBe('low_confidence');
    expect(lowConfidence({ ...PASS1_ANSWER, devices: [] }, 0.6)).toBeNull();
  });

  it('store a serial’s normalised form as derived from the characters read, not as the model wrote it', () => {
    const answer = structuredClone(PASS1_ANSWER);
    answer.devices[1]!.serial = { raw: 'sn 0042 7a', normalized: 'SN00427A-GUESSED' };
    const fixed = withNormalizedSerials(answer);
    expect(fixed.devices[1]!.serial).toEqual({ raw: 'sn 0042 7a', normalized: 'SN00427A' });
    expect(fixed.devices[0]!.serial).toBeNull();
    expect(Pass1OutputSchema.parse(fixed)).toEqual(fixed);
  });
});
