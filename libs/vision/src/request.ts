import type { ContentBlock, ConverseCommandInput, SystemContentBlock, Tool } from '@aws-sdk/client-bedrock-runtime';
import { z } from 'zod';
import { MAX_IMAGE_BYTES, MAX_IMAGES_PER_REQUEST as MAX_IMAGES } from './crops';
import { imageProblem, type VisionImageFormat } from './image-check';
import { supportsPromptCaching } from './model-support';
import { TOOL_DESCRIPTION, TOOL_NAME, toolInputJsonSchema, type VisionPass } from './passes';
import { loadPrompt } from './prompt-loader';
import { Pass1OutputSchema } from './schemas/pass1';
import { CONTROL_TYPES } from './schemas/pass2';

/**
 * Builds the Converse request for one pass. P11: the model gets images and equipment context
 * only. The parameter type has no place for user, e-mail or organization data, and the runtime
 * check below refuses unknown keys, so a caller spreading an Item or a User fails instead of
 * leaking it; the context is re-parsed so only schema fields reach the prompt.
 */

export interface VisionImage {
  /** The analysis rendition: metadata already stripped by ingest (checked again here). */
  bytes: Uint8Array;
  format: VisionImageFormat;
  /** What the photo shows, e.g. "overview", "detail 2". Sent as "Image N (label)". */
  label: string;
}

/** Optional layout of a device's controls (from the catalog), so pass 2 fills in a known list. */
export interface DeviceLayout {
  device_index: number;
  /** Written from general knowledge rather than the maker's drawing: it may differ from the unit. */
  approximate?: boolean;
  controls: Array<{
    label: string | null;
    section: string | null;
    type: (typeof CONTROL_TYPES)[number];
    range?: string | null;
    legend?: string[] | null;
  }>;
}

/** Which image is the crop of which pass 1 device (1-based image numbers, as labelled). */
export interface DeviceCrop {
  device_index: number;
  image_index: number;
}

export interface VisionContext {
  /** Pass 1's validated output, for pass 2. */
  pass1?: z.input<typeof Pass1OutputSchema>;
  layouts?: DeviceLayout[];
  crops?: DeviceCrop[];
}

export interface BuildConverseInputParams {
  pass: VisionPass;
  modelId: string;
  images: VisionImage[];
  context?: VisionContext;
  maxTokens: number;
  /**
   * Adds cachePoint blocks after the tool config and the static system prompt. Default: on for
   * models that support prompt caching (see supportsPromptCaching), off for the rest.
   */
  promptCaching?: boolean;
}


const LayoutSchema = z.strictObject({
  device_index: z.number().int().min(0),
  approximate: z.boolean().optional(),
  controls: z.array(
    z.strictObject({
      label: z.string().max(120).nullable(),
      section: z.string().max(120).nullable(),
      type: z.enum(CONTROL_TYPES),
      range: z.string().max(60).nullable().optional(),
      legend: z.array(z.string().max(24)).max(24).nullable().optional(),
    }),
  ),
});

const CropSchema = z.strictObject({ device_index: z.number().int().min(0), image_index: z.number().int().min(2).max(20) });

const ParamsSchema = z.strictObject({
  pass: z.union([z.literal(1), z.literal(2)]),
  modelId: z.string().min(1),
  images: z
    .array(
      z.strictObject({
        bytes: z.instanceof(Uint8Array).refine((b) => b.byteLength > 0 && b.byteLength <= MAX_IMAGE_BYTES, {
          message: `must be 1 byte to ${MAX_IMAGE_BYTES} bytes`,
        }),
        format: z.enum(['jpeg', 'png', 'webp']),
        // Short descriptive words only: no room for an address or a name sentence.
        label: z.string().regex(/^[\p{L}\p{N} ()._,/-]{1,40}$/u, 'must be 1–40 letters, digits, spaces or ()._,/-'),
      }),
    )
    .min(1)
    .max(MAX_IMAGES),
  context: z
    .strictObject({ pass1: Pass1OutputSchema.optional(), layouts: z.array(LayoutSchema).optional(), crops: z.array(CropSchema).optional() })
    .optional(),
  maxTokens: z.number().int().min(1).max(64_000),
  promptCaching: z.boolean().optional(),
});

const CACHE_POINT = { cachePoint: { type: 'default' } } as const;

export function buildConverseInput(params: BuildConverseInputParams): ConverseCommandInput {
  const parsed = ParamsSchema.safeParse(params);
  if (!parsed.success) {
    throw new TypeError(`buildConverseInput: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const p = parsed.data;
  p.images.forEach((img, i) => {
    const problem = imageProblem(img.bytes, img.format);
    if (problem) throw new TypeError(`buildConverseInput: image ${i + 1} (${img.label}) ${problem}`);
  });
  const caching = p.promptCaching ?? supportsPromptCaching(p.modelId);
  const toolName = TOOL_NAME[p.pass];

  const system: SystemContentBlock[] = [{ text: loadPrompt(p.pass).text }];
  const tools: Tool[] = [
    { toolSpec: { name: toolName, description: TOOL_DESCRIPTION[p.pass], inputSchema: { json: toolInputJsonSchema(p.pass) as never } } },
  ];
  if (caching) {
    system.push(CACHE_POINT);
    tools.push(CACHE_POINT);
  }

  const content: ContentBlock[] = p.images.flatMap((img, i): ContentBlock[] => [
    { text: `Image ${i + 1} (${img.label})` },
    { image: { format: img.format, source: { bytes: img.bytes } } },
  ]);
  content.push(...contextBlocks(p.context));
  content.push({ text: `Answer with the ${toolName} tool.` });

  return {
    modelId: p.modelId,
    system,
    messages: [{ role: 'user', content }],
    toolConfig: { tools, toolChoice: { tool: { name: toolName } } },
    inferenceConfig: { maxTokens: p.maxTokens, temperature: 0 },
  };
}

function contextBlocks(context: z.output<typeof ParamsSchema>['context']): ContentBlock[] {
  const blocks: ContentBlock[] = [];
  if (context?.pass1) {
    const cropOf = new Map((context.crops ?? []).map((c) => [c.device_index, c.image_index]));
    const devices = context.pass1.devices.map((d, device_index) => {
      const crop = cropOf.get(device_index);
      return { device_index, ...d, ...(crop ? { crop_image: `Image ${crop}` } : {}) };
    });
    blocks.push({ text: `Equipment identified in pass 1 (JSON):\n${JSON.stringify(devices)}` });
  }
  if (context?.layouts?.length) {
    blocks.push({ text: `Known control layouts (JSON):\n${JSON.stringify(context.layouts)}` });
  }
  return blocks;
}
