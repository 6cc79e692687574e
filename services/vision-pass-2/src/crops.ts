import { MAX_IMAGE_BYTES, type PlannedCrop } from '@sessionpix/vision';
import sharp from 'sharp';

/** JPEG quality of a crop, and the one used when a crop would exceed Bedrock's 3.75 MB per image. */
const CROP_QUALITY = 85;
const SMALLER_QUALITY = 70;

/**
 * Cuts the planned crops out of the master (upright, metadata-free) and encodes each as a JPEG
 * of the planned size; sharp writes no metadata unless asked, so the crops carry none (P11).
 * Crops share one decode, at a reduced size (JPEG shrink-on-load, several times cheaper) when
 * every crop is at most half its region's resolution; a lone crop that needs more detail is cut
 * straight from the JPEG.
 */
export async function cutCrops(master: Buffer, plans: readonly PlannedCrop[]): Promise<Buffer[]> {
  if (plans.length === 0) return [];
  const withinLimit = async (encode: (quality: number) => Promise<Buffer>) => {
    const crop = await encode(CROP_QUALITY);
    return crop.length <= MAX_IMAGE_BYTES ? crop : encode(SMALLER_QUALITY);
  };
  // The least reduction any crop needs; decoding at up to that scale loses nothing.
  const scale = Math.min(1, ...plans.map((p) => Math.max(p.out.width / p.region.width, p.out.height / p.region.height)));
  if (plans.length === 1 && scale > 0.5) {
    const plan = plans[0]!;
    return [await withinLimit((quality) => sharp(master).extract(plan.region).resize(plan.out.width, plan.out.height, { fit: 'fill' }).jpeg({ quality }).toBuffer())];
  }
  const { width, height } = await sharp(master).metadata();
  const decodeWidth = scale <= 0.5 ? Math.max(1, Math.ceil(width * scale)) : width;
  const { info, data } = await sharp(master)
    .resize(decodeWidth === width ? undefined : decodeWidth, undefined, { fastShrinkOnLoad: true })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const fx = info.width / width;
  const fy = info.height / height;
  return Promise.all(
    plans.map((plan) => {
      const left = Math.min(info.width - 1, Math.floor(plan.region.left * fx));
      const top = Math.min(info.height - 1, Math.floor(plan.region.top * fy));
      const region = {
        left,
        top,
        width: Math.max(1, Math.min(info.width - left, Math.round(plan.region.width * fx))),
        height: Math.max(1, Math.min(info.height - top, Math.round(plan.region.height * fy))),
      };
      return withinLimit((quality) =>
        sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
          .extract(region)
          .resize(plan.out.width, plan.out.height, { fit: 'fill' })
          .jpeg({ quality })
          .toBuffer(),
      );
    }),
  );
}
