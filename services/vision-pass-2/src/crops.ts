import { MAX_IMAGE_BYTES, type PlannedCrop } from '@sessionpix/vision';
import sharp from 'sharp';

/** JPEG quality of a crop, and the one used when a crop would exceed Bedrock's 3.75 MB per image. */
const CROP_QUALITY = 85;
const SMALLER_QUALITY = 70;

type Region = PlannedCrop['region'];

/**
 * Cuts the planned crops out of `source` (the master or its half-size copy: upright,
 * metadata-free; the plans' regions already in its pixels) and encodes each as a JPEG of the
 * planned size; sharp writes no metadata unless asked, so the crops carry none (P11).
 *
 * sharp never decodes at reduced size when a region is extracted first, so the whole of the
 * source's detail is decoded: that is why ingest stores a half-size copy for crops that need no
 * more. A lone crop is one streaming pipeline that decodes the JPEG in order only down to the
 * crop's last row and never holds the decoded source. Several crops share one decode of the rows
 * and columns they span.
 */
export async function cutCrops(source: Buffer, plans: readonly PlannedCrop[]): Promise<Buffer[]> {
  if (plans.length === 0) return [];
  if (plans.length === 1) return [await encodeCrop(() => sharp(source).extract(plans[0]!.region), plans[0]!)];
  const span = spanOf(plans.map((p) => p.region));
  const { info, data } = await sharp(source).extract(span).raw().toBuffer({ resolveWithObject: true });
  const raw = { width: info.width, height: info.height, channels: info.channels };
  return Promise.all(
    plans.map((plan) =>
      encodeCrop(
        () => sharp(data, { raw }).extract({ ...plan.region, left: plan.region.left - span.left, top: plan.region.top - span.top }),
        plan,
      ),
    ),
  );
}

/**
 * The crop at its planned size, re-encoded smaller in the rare case it is over Bedrock's limit.
 * Huffman-table optimisation is off: the pixels are the same, the file about 13 % larger, and
 * cutting the crop about a tenth cheaper (the model is billed by pixels, not bytes).
 */
async function encodeCrop(region: () => ReturnType<typeof sharp>, plan: PlannedCrop): Promise<Buffer> {
  const encode = (quality: number) =>
    region().resize(plan.out.width, plan.out.height, { fit: 'fill' }).jpeg({ quality, optimiseCoding: false }).toBuffer();
  const crop = await encode(CROP_QUALITY);
  return crop.length <= MAX_IMAGE_BYTES ? crop : encode(SMALLER_QUALITY);
}

/** The smallest region holding all of them. */
function spanOf(regions: readonly Region[]): Region {
  const left = Math.min(...regions.map((r) => r.left));
  const top = Math.min(...regions.map((r) => r.top));
  const right = Math.max(...regions.map((r) => r.left + r.width));
  const bottom = Math.max(...regions.map((r) => r.top + r.height));
  return { left, top, width: right - left, height: bottom - top };
}
