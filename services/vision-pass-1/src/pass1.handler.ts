import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { AppConfig } from '@sessionpix/config';
import type { ItemJob } from '@sessionpix/contracts';
import { type JobContext, JobHandler } from '@sessionpix/queue';
import {
  EquipmentCatalog,
  matchCatalog,
  normalizeSerial,
  type Pass1Output,
  type PassDefinition,
  PausedItemResumer,
  VisionStep,
} from '@sessionpix/vision';

/** An identification list rarely needs more; a longer answer is cut off and sampled again. */
const PASS1_MAX_TOKENS = 4_096;

/** Why pass 1's answer should go to the stronger model: a device identified without enough confidence. */
export function lowConfidence(output: Pass1Output, threshold: number): string | null {
  return output.devices.some((d) => d.model_confidence < threshold) ? 'low_confidence' : null;
}

/** The stored form of a serial is derived from what was transcribed, never taken on trust. */
export function withNormalizedSerials(output: Pass1Output): Pass1Output {
  return {
    ...output,
    devices: output.devices.map((d) => (d.serial ? { ...d, serial: { raw: d.serial.raw, normalized: normalizeSerial(d.serial.raw) } } : d)),
  };
}

/**
 * Pass 1 (P3): identify every piece of equipment and read its labels, with the cheap model
 * first and the escalation model for unsure or invalid answers; each identification is then
 * matched against the equipment catalog (a device that matches nothing keeps its identity).
 */
@Injectable()
export class Pass1Handler implements OnApplicationBootstrap {
  readonly definition: PassDefinition;

  constructor(
    private readonly step: VisionStep,
    private readonly resumer: PausedItemResumer,
    private readonly catalog: EquipmentCatalog,
  ) {
    this.definition = {
      pass: 1,
      input: 'ingested',
      output: 'identified',
      next: 'vision-pass-2',
      models: (config: AppConfig) => [config.VISION_PASS1_MODEL, config.VISION_PASS1_ESCALATION_MODEL],
      escalate: (output, config) => lowConfidence(output as Pass1Output, config.VISION_PASS1_ESCALATION_CONFIDENCE),
      request: async (_em, _item, overview) => ({ images: overview.then((image) => [image]), maxTokens: PASS1_MAX_TOKENS }),
      finish: (output) => withNormalizedSerials(output as Pass1Output),
      annotate: async (em, output) => ({
        catalog_matches: matchCatalog((output as Pass1Output).devices, await this.catalog.entries(em)),
      }),
    };
  }

  @JobHandler('vision-pass-1')
  handle(job: ItemJob, ctx: JobContext): Promise<string> {
    return this.step.run(this.definition, job, ctx);
  }

  onApplicationBootstrap(): void {
    this.resumer.start(this.definition);
  }
}
