import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { ItemJob } from '@sessionpix/contracts';
import type { Analysis, EntityManager, Item } from '@sessionpix/db';
import { type JobContext, JobHandler } from '@sessionpix/queue';
import { ObjectStore } from '@sessionpix/storage';
import {
  type CatalogMatch,
  type DeviceCrop,
  type DeviceLayout,
  EquipmentCatalog,
  type Pass1Output,
  Pass1OutputSchema,
  type PassDefinition,
  type PassRequest,
  type PixelSize,
  PausedItemResumer,
  planCrops,
  readPixelSize,
  scaleRegion,
  type VisionImage,
  VisionStep,
} from '@sessionpix/vision';
import { type CropSource, readCropSource } from './crop-source';
import { cutCrops } from './crops';


/**
 * The answer's budget: about 60 output tokens per control (one JSON object), for the controls a
 * known layout lists plus a quarter for ones it lacks, or 40 per device without a layout.
 */
const TOKENS_PER_CONTROL = 60;
const CONTROLS_WITHOUT_LAYOUT = 40;
const MIN_MAX_TOKENS = 2_048;
const MAX_MAX_TOKENS = 16_384;

export function pass2MaxTokens(deviceCount: number, layouts: readonly DeviceLayout[]): number {
  const known = new Map(layouts.map((l) => [l.device_index, l.controls.length]));
  let controls = 0;
  for (let d = 0; d < deviceCount; d++) {
    const listed = known.get(d);
    controls += listed === undefined ? CONTROLS_WITHOUT_LAYOUT : Math.ceil(listed * 1.25);
  }
  return Math.min(MAX_MAX_TOKENS, Math.max(MIN_MAX_TOKENS, 300 + controls * TOKENS_PER_CONTROL));
}

/**
 * Pass 2 (P3): given pass 1, record the position of every control. The model gets the overview
 * rendition and a crop of each device cut from the master, pass 1's identification, and the
 * catalog's control layout for devices that matched one.
 */
@Injectable()
export class Pass2Handler implements OnApplicationBootstrap {
  private readonly log = new Logger('Pass2');
  readonly definition: PassDefinition;

  constructor(
    private readonly step: VisionStep,
    private readonly resumer: PausedItemResumer,
    private readonly store: ObjectStore,
    private readonly catalog: EquipmentCatalog,
  ) {
    this.definition = {
      pass: 2,
      input: 'identified',
      output: 'analyzed',
      models: (config) => [config.VISION_PASS2_MODEL],
      request: (em, item, overview, answered) => this.request(em, item, overview, answered.get(1)),
      annotate: async (_em, _output, request) => ({
        images: (await request.images).map((img, i) => ({ image_index: i + 1, label: img.label })),
        layout_devices: (request.context?.layouts ?? []).map((l) => l.device_index),
      }),
    };
  }

  @JobHandler('vision-pass-2')
  handle(job: ItemJob, ctx: JobContext): Promise<string> {
    return this.step.run(this.definition, job, ctx);
  }

  onApplicationBootstrap(): void {
    this.resumer.start(this.definition);
  }

  private async request(em: EntityManager, item: Item, overview: Promise<VisionImage>, pass1: Analysis | undefined): Promise<PassRequest> {
    if (!pass1) throw new Error(`item ${item.id} has no pass 1 answer for pass 2 to build on`);
    const identified: Pass1Output = Pass1OutputSchema.parse(pass1.output);
    // Crops are cut from the master, or from its half-size copy when no crop needs more: it
    // downloads while the layouts are read and the overview arrives, which the crop plan needs (a
    // device that gains nothing from a crop leaves it unused).
    const masterSize: PixelSize | null = item.width && item.height ? { width: item.width, height: item.height } : null;
    const source =
      identified.devices.length > 0 && masterSize
        ? readCropSource(this.store, { orgId: item.org.id, itemId: item.id, master: masterSize }, identified.devices, this.log)
        : Promise.resolve(null);
    source.catch(() => undefined); // awaited below unless the step fails first
    const [layouts, image] = await Promise.all([this.layoutsFor(em, pass1.details), overview]);
    const crops = await this.crops(masterSize, identified, image, source);
    return {
      images: crops.images.then((cut) => [image, ...cut]),
      context: { pass1: identified, layouts, crops: crops.index },
      deviceCount: identified.devices.length,
      maxTokens: pass2MaxTokens(identified.devices.length, layouts),
    };
  }

  /** The catalog layouts of the devices pass 1 matched, as the request carries them. */
  private async layoutsFor(em: EntityManager, details: Record<string, unknown> | null | undefined): Promise<DeviceLayout[]> {
    const matches = (Array.isArray(details?.catalog_matches) ? details.catalog_matches : []) as CatalogMatch[];
    const withLayout = matches.filter((m) => m.has_layout);
    const layouts = await this.catalog.layouts(em, [...new Set(withLayout.map((m) => m.catalog_id))]);
    return withLayout.flatMap((m) => {
      const layout = layouts.get(m.catalog_id);
      return layout ? [{ device_index: m.device_index, approximate: layout.approximate, controls: layout.controls }] : [];
    });
  }

  /**
   * A crop of each device that gains from one, cut from the master or its half-size copy; none
   * when there is no master. Settles once the source is read, while the crops are still being cut.
   */
  private async crops(
    master: PixelSize | null,
    identified: Pass1Output,
    overview: VisionImage,
    source: Promise<CropSource | null>,
  ): Promise<{ images: Promise<VisionImage[]>; index: DeviceCrop[] }> {
    const none = () => ({ images: Promise.resolve([]), index: [] });
    const overviewSize = readPixelSize(overview.bytes);
    if (!master || !overviewSize || identified.devices.length === 0) return none();
    const plans = planCrops(identified.devices, master, overviewSize);
    if (plans.length === 0) return none();
    const from = await source;
    if (!from) return none();
    const cuts = plans.map((plan) => ({ ...plan, region: scaleRegion(plan.region, master, from.size) }));
    return {
      images: cutCrops(from.bytes, cuts).then((cut) => plans.map((plan, i) => ({ bytes: cut[i]!, format: 'jpeg' as const, label: plan.label }))),
      index: plans.map((plan) => ({ device_index: plan.device_index, image_index: plan.image_index })),
    };
  }
}
