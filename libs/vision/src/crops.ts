import type { PixelSize } from './estimate';
import type { Pass1Device } from './schemas/pass1';

/**
 * Which device crops pass 2 gets, and their geometry: cut from the master (upright,
 * metadata-free, boxes normalised 0..1 on it) and sized as the model will see them. Pure
 * arithmetic; the pass 2 worker does the pixel work.
 */

/** Bedrock's Converse limits per request, and Claude's own image budget per image. */
export const MAX_IMAGES_PER_REQUEST = 20;
export const MAX_IMAGE_BYTES = 3_750_000;
export const CROP_MAX_EDGE = 1568;
export const CROP_MAX_PIXELS = 1_150_000;

export interface CropPlanOptions {
  /** Images the request may carry in all, the overview included. */
  maxImages?: number;
  /**
   * A crop is sent only when it shows the device at least this many times larger (linearly)
   * than the overview does; below that it costs tokens and shows nothing new.
   */
  minGain?: number;
}

export interface PlannedCrop {
  device_index: number;
  /** Position of the image in the request, 1-based (the overview is 1). */
  image_index: number;
  /** "crop of device 1": device numbers are 1-based for people, device_index is 0-based. */
  label: string;
  /** The region of the master, in master pixels. */
  region: { left: number; top: number; width: number; height: number };
  /** The size sent: the region fitted within 1568 px and 1.15 MP, never enlarged. */
  out: PixelSize;
  /** out.width ÷ the region's width in the overview. */
  gain: number;
}

const DEFAULT_MIN_GAIN = 1.25;
/** Pass 1 boxes are rough: widen each side by this share of the box, plus this share of the image. */
const PAD_OF_BOX = 0.05;
const PAD_OF_IMAGE = 0.01;
/** Regions smaller than this in the master (either side) are not worth a crop. */
const MIN_REGION_PX = 32;

/** The largest size of the same shape within a long-edge and a pixel cap, never enlarged. */
export function fitWithin(size: PixelSize, maxEdge = CROP_MAX_EDGE, maxPixels = CROP_MAX_PIXELS): PixelSize {
  const scale = Math.min(1, maxEdge / Math.max(size.width, size.height), Math.sqrt(maxPixels / (size.width * size.height)));
  if (scale >= 1) return { width: size.width, height: size.height };
  return { width: Math.max(1, Math.floor(size.width * scale)), height: Math.max(1, Math.floor(size.height * scale)) };
}

function regionOf(bbox: Pass1Device['bbox'], master: PixelSize): PlannedCrop['region'] {
  const padX = bbox.w * PAD_OF_BOX + PAD_OF_IMAGE;
  const padY = bbox.h * PAD_OF_BOX + PAD_OF_IMAGE;
  const x0 = Math.max(0, bbox.x - padX);
  const y0 = Math.max(0, bbox.y - padY);
  const x1 = Math.min(1, bbox.x + bbox.w + padX);
  const y1 = Math.min(1, bbox.y + bbox.h + padY);
  const left = Math.floor(x0 * master.width);
  const top = Math.floor(y0 * master.height);
  return {
    left,
    top,
    width: Math.max(1, Math.min(master.width - left, Math.ceil(x1 * master.width) - left)),
    height: Math.max(1, Math.min(master.height - top, Math.ceil(y1 * master.height) - top)),
  };
}

/**
 * One crop per device that gains from it, largest boxes first when there are more devices than
 * the request has room for, then numbered in device order.
 */
export function planCrops(
  devices: readonly Pick<Pass1Device, 'bbox'>[],
  master: PixelSize,
  overview: PixelSize,
  options: CropPlanOptions = {},
): PlannedCrop[] {
  const room = Math.max(0, (options.maxImages ?? MAX_IMAGES_PER_REQUEST) - 1);
  const minGain = options.minGain ?? DEFAULT_MIN_GAIN;
  const overviewScale = overview.width / master.width;
  const candidates = devices
    .map((device, device_index) => {
      const region = regionOf(device.bbox, master);
      const out = fitWithin(region);
      const gain = out.width / (region.width * overviewScale);
      return { device_index, region, out, gain, area: device.bbox.w * device.bbox.h };
    })
    .filter((c) => c.region.width >= MIN_REGION_PX && c.region.height >= MIN_REGION_PX && c.gain >= minGain);
  const chosen = [...candidates]
    .sort((a, b) => b.area - a.area || a.device_index - b.device_index)
    .slice(0, room)
    .sort((a, b) => a.device_index - b.device_index);
  return chosen.map((c, i) => ({
    device_index: c.device_index,
    image_index: i + 2,
    label: `crop of device ${c.device_index + 1}`,
    region: c.region,
    out: c.out,
    gain: Math.round(c.gain * 100) / 100,
  }));
}

/**
 * Whether the half-size master holds all the detail the crops of these devices can show: each
 * crop is sent at most half its region's size on both axes, so cutting it from a copy at half
 * the resolution loses nothing. Decided from the boxes alone (before the overview is read), for
 * every device that could get a crop.
 */
export function halfMasterSuffices(devices: readonly Pick<Pass1Device, 'bbox'>[], master: PixelSize): boolean {
  return devices.every((device) => {
    const region = regionOf(device.bbox, master);
    const out = fitWithin(region);
    return out.width * 2 <= region.width && out.height * 2 <= region.height;
  });
}

/**
 * A region of the master mapped onto a smaller copy of it (`source`), kept inside its bounds.
 */
export function scaleRegion(region: PlannedCrop['region'], master: PixelSize, source: PixelSize): PlannedCrop['region'] {
  const sx = source.width / master.width;
  const sy = source.height / master.height;
  const left = Math.min(source.width - 1, Math.floor(region.left * sx));
  const top = Math.min(source.height - 1, Math.floor(region.top * sy));
  return {
    left,
    top,
    width: Math.max(1, Math.min(source.width - left, Math.round((region.left + region.width) * sx) - left)),
    height: Math.max(1, Math.min(source.height - top, Math.round((region.top + region.height) * sy) - top)),
  };
}
