import multipart from '@fastify/multipart';
import type { ServiceDefinition } from '@sessionpix/runtime';
import { GatewayModule } from './gateway.module';
import { buildOpenApiDocument } from './http/openapi';
import { OPENAPI_DOCUMENT, type OpenApiHolder } from './http/openapi.holder';

export const gatewayService: ServiceDefinition = {
  name: 'gateway',
  module: GatewayModule,
  // Nest's own not-found handler throws NotFoundException, which the problem filter answers.
  configureHttp: async (app, config) => {
    // Exact per-file limits are enforced while streaming to S3; these bound the parser itself.
    await app.register(multipart, {
      limits: {
        fileSize: config.UPLOAD_MAX_FILE_BYTES + 1,
        files: config.UPLOAD_MAX_FILES_PER_REQUEST,
        fields: 20,
        fieldSize: 64 * 1024,
        parts: config.UPLOAD_MAX_FILES_PER_REQUEST + 20,
      },
    });
    app.get<OpenApiHolder>(OPENAPI_DOCUMENT).document = buildOpenApiDocument(app, config.PUBLIC_BASE_URL);
  },
};
