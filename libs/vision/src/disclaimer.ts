/** Carried by every analysis in the API and in exports (P13); defined once in the contracts. */
export { AI_OUTPUT_DISCLAIMER } from '@sessionpix/contracts';
