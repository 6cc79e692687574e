import type { ConverseRequestBody, RecordedCall, WireContentBlock } from './types';

/**
 * Parses a Converse body into a RecordedCall. Throws (answered as ValidationException) on what
 * the service would also refuse: invalid JSON, no messages, a tool choice naming no offered tool.
 */
export function recordCall(seq: number, modelId: string, raw: Buffer, httpVersion: string): RecordedCall {
  let body: ConverseRequestBody;
  try {
    body = JSON.parse(raw.toString('utf8')) as ConverseRequestBody;
  } catch {
    throw new Error('The request body is not valid JSON.');
  }
  if (!body || typeof body !== 'object' || !Array.isArray(body.messages) || body.messages.length === 0) {
    throw new Error('The request must contain at least one message.');
  }
  const images: Buffer[] = [];
  for (const message of body.messages) {
    for (const block of message.content ?? []) decodeImage(block, images);
  }
  return { seq, modelId, body, at: new Date(), httpVersion, toolName: toolNameOf(body), images };
}

function decodeImage(block: WireContentBlock, images: Buffer[]): void {
  const source = block.image?.source;
  if (source && typeof source.bytes === 'string') {
    source.bytes = Buffer.from(source.bytes, 'base64');
    images.push(source.bytes);
  }
}

function toolNameOf(body: ConverseRequestBody): string | null {
  const offered = (body.toolConfig?.tools ?? []).flatMap((t) => (t.toolSpec ? [t.toolSpec.name] : []));
  const chosen = body.toolConfig?.toolChoice?.tool?.name;
  if (chosen !== undefined) {
    if (!offered.includes(chosen)) throw new Error(`The tool choice "${chosen}" names no tool in toolConfig.tools.`);
    return chosen;
  }
  return offered.length === 1 ? offered[0]! : null;
}
