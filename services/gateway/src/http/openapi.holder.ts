import type { OpenAPIObject } from '@nestjs/swagger';

/** Filled once the app is built (the document is generated from the live routes). */
export interface OpenApiHolder {
  document: OpenAPIObject | null;
}

export const OPENAPI_DOCUMENT = Symbol('sessionpix:openapi-document');
