import type { ConverseCommandInput } from '@aws-sdk/client-bedrock-runtime';

/**
 * Token estimates made before a call, for the shared rate limiter and for cost estimates. Claude
 * bills an image at about width × height / 750 tokens (after the service fits it within 1568 px
 * and 1.15 MP, which our renditions and crops already are); text is estimated at 4 characters
 * a token, since the tokenizer is not available offline. The limiter corrects its reservation
 * with the usage the service reports.
 */

export interface PixelSize {
  width: number;
  height: number;
}

export const CHARS_PER_TOKEN = 4;
/** What Claude charges for an image it cannot be told the size of beforehand. */
const UNKNOWN_IMAGE_TOKENS = 1_600;

export function imageTokensFor(size: PixelSize): number {
  return Math.ceil((size.width * size.height) / 750);
}

export function textTokensFor(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

/** Width and height from a JPEG's SOF segment or a PNG's IHDR, without decoding. */
export function readPixelSize(bytes: Uint8Array): PixelSize | null {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length >= 24 && buf.readUInt32BE(0) === 0x89504e47 && buf.toString('latin1', 12, 16) === 'IHDR') {
    return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
  }
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return null;
  let i = 2;
  while (i + 9 <= buf.length && buf[i] === 0xff) {
    const marker = buf[i + 1]!;
    if (marker === 0xff) {
      i += 1;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    // SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: buf.readUInt16BE(i + 5), width: buf.readUInt16BE(i + 7) };
    }
    if (marker === 0xda || marker === 0xd9) return null;
    i += 2 + buf.readUInt16BE(i + 2);
  }
  return null;
}

export interface RequestEstimate {
  /** Static prefix: system prompt and tool definitions (what prompt caching covers). */
  prefixTokens: number;
  /** Message text: labels, pass 1 context, layouts. */
  messageTextTokens: number;
  imageTokens: number;
  /** The largest answer the request allows. */
  maxOutputTokens: number;
}

/** Estimates the tokens a Converse request will use, from the request itself. */
export function estimateRequest(input: ConverseCommandInput): RequestEstimate {
  const systemChars = (input.system ?? []).reduce((n, b) => n + ('text' in b && b.text ? b.text.length : 0), 0);
  const toolChars = JSON.stringify(input.toolConfig?.tools ?? []).length;
  let messageChars = 0;
  let imageTokens = 0;
  for (const message of input.messages ?? []) {
    for (const block of message.content ?? []) {
      if ('text' in block && block.text) messageChars += block.text.length;
      const bytes = 'image' in block ? block.image?.source && 'bytes' in block.image.source ? block.image.source.bytes : undefined : undefined;
      if (bytes) {
        const size = readPixelSize(bytes);
        imageTokens += size ? imageTokensFor(size) : UNKNOWN_IMAGE_TOKENS;
      }
    }
  }
  return {
    prefixTokens: textTokensFor(systemChars + toolChars),
    messageTextTokens: textTokensFor(messageChars),
    imageTokens,
    maxOutputTokens: input.inferenceConfig?.maxTokens ?? 0,
  };
}

/** Input and output tokens a request may count against a tokens-per-minute quota. */
export function quotaTokens(estimate: RequestEstimate): number {
  return estimate.prefixTokens + estimate.messageTextTokens + estimate.imageTokens + estimate.maxOutputTokens;
}
