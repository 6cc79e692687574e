export { startConverseStandin, type ConverseStandin, type ConverseStandinOptions } from './server';
export {
  CONVERSE_ERROR_STATUS,
  type Behaviour,
  type ConverseErrorType,
  type ConverseRequestBody,
  type RecordedCall,
  type Responder,
  type Rule,
} from './types';
export { readImageSize, type ImageSize } from './image-size';
export { estimateUsage, imageTokens, type WireUsage } from './usage';
export { minimalInstance, CannotDeriveError } from './default-answer';
export { fakeJpeg, tinyPng } from './fixtures';
export { main as converseStandinMain } from './cli';
