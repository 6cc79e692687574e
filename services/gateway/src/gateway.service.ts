import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import type { ServiceDefinition } from '@sessionpix/runtime';
import { keepRawBody } from './billing/raw-body';
import { STRIPE_WEBHOOK_PATH } from './billing/webhooks';
import { GatewayModule } from './gateway.module';
import { buildOpenApiDocument } from './http/openapi';
import { OPENAPI_DOCUMENT, type OpenApiHolder } from './http/openapi.holder';
import { UsageLog } from './usage/usage-log';

export const gatewayService: ServiceDefinition = {
  name: 'gateway',
  module: GatewayModule,
  // Nest's own not-found handler throws NotFoundException, which the problem filter answers.
  configureHttp: async (app, config) => {
    // Exact per-file limits are enforced while streaming to S3; these bound the parser itself.
    // The parser only truncates an oversized file (the upload then fails on its own limit and is
    // reported by name): throwing would replace that answer with a generic 413 at the end of
    // the request, after the request's other photos were already accepted.
    await app.register(multipart, {
      throwFileSizeLimit: false,
      limits: {
        fileSize: config.UPLOAD_MAX_FILE_BYTES + 1,
        files: config.UPLOAD_MAX_FILES_PER_REQUEST,
        fields: 20,
        fieldSize: 64 * 1024,
        parts: config.UPLOAD_MAX_FILES_PER_REQUEST + 20,
      },
    });
    // Reads the sign-in cookies (P18: the only cookies there are).
    await app.register(cookie);
    // Stripe signs the exact bytes it sends: keep them for the webhook (Stripe events are small).
    keepRawBody(app.getHttpAdapter().getInstance(), [STRIPE_WEBHOOK_PATH], 512 * 1024);
    // P6: every answered /v1 request is logged off the request path.
    app.get(UsageLog).install(app.getHttpAdapter().getInstance());
    app.get<OpenApiHolder>(OPENAPI_DOCUMENT).document = buildOpenApiDocument(app, config.PUBLIC_BASE_URL);
  },
};
