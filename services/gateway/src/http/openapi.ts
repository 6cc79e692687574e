import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { cleanupOpenApiDoc } from 'nestjs-zod';

/** The OpenAPI document, generated from the same zod schemas that validate requests. */
export function buildOpenApiDocument(app: INestApplication, serverUrl: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('sessionpix API')
    .setDescription(
      'Photos of audio equipment in, recall sheets out. Errors are RFC 9457 problem details ' +
        '(application/problem+json) with a stable `code`; lists are cursor-paginated.',
    )
    .setVersion('1')
    .addServer(serverUrl)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key: spx_<keyId>_<secret>' })
    .build();
  return cleanupOpenApiDoc(SwaggerModule.createDocument(app, config));
}
