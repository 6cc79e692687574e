import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { cleanupOpenApiDoc } from 'nestjs-zod';
import { BEARER_SCHEME, COOKIE_SCHEME, OPERATOR_SCHEME } from '../auth/access';
import { SESSION_COOKIE } from '../auth/cookies';

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
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        description:
          'An API key (spx_<keyId>_<secret>, bound to its organization and role), or a user’s access token: ' +
          'one from POST /v1/auth/sign-in with session "bearer", or a Cognito ID token where Cognito is the identity provider.',
      },
      BEARER_SCHEME,
    )
    .addCookieAuth(
      SESSION_COOKIE,
      {
        type: 'apiKey',
        in: 'cookie',
        description: 'The web’s sign-in session (HttpOnly, Secure, SameSite=Strict), set by POST /v1/auth/sign-in.',
      },
      COOKIE_SCHEME,
    )
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'sessionpix’s billing team: the BILLING_ADMIN_TOKEN (routes under /v1/admin).' },
      OPERATOR_SCHEME,
    )
    .build();
  return cleanupOpenApiDoc(SwaggerModule.createDocument(app, config));
}
