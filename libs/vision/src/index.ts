export { createBedrockClient, type BedrockClientOptions } from './client';
export { clockToTravel, travelToClock, isKnobClock, KNOB_CLOCK_PATTERN } from './clock';
export {
  priceTableFromSetting,
  costMicroUsd,
  findModelPrice,
  baseModelId,
  parsePriceTable,
  DEFAULT_PRICE_TABLE,
  PriceTableSchema,
  type ModelPrice,
  type PriceTable,
} from './cost';
export { AI_OUTPUT_DISCLAIMER } from './disclaimer';
export { VisionCallError, RETRYABLE, type VisionErrorKind, type VisionUsage } from './errors';
export { imageProblem, type VisionImageFormat } from './image-check';
export { invokeVisionPass, type InvokeVisionOptions, type VisionCallSuccess } from './invoke';
export {
  OUTPUT_SCHEMA,
  PROMPT_VERSION,
  SCHEMA_VERSION,
  TOOL_NAME,
  TOOL_DESCRIPTION,
  passForTool,
  READABLE_SCHEMA_VERSIONS,
  toolInputJsonSchema,
  type PassOutput,
  type VisionPass,
} from './passes';
export { loadPrompt, PROMPT_DIR, type LoadedPrompt } from './prompt-loader';
export {
  buildConverseInput,
  type BuildConverseInputParams,
  type DeviceCrop,
  type DeviceLayout,
  type VisionContext,
  type VisionImage,
} from './request';
export * from './schemas/pass1';
export * from './schemas/pass2';
export { describeIssues, readToolAnswer, type AnswerLimits, type ToolAnswer } from './validate';
export * from './catalog';
export * from './crops';
export * from './estimate';
export { supportsPromptCaching, promptCacheMinTokens } from './model-support';
export * from './recall-sheet';
export * from './worker';
