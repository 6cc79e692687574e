import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/tenant';
import { OPENAPI_DOCUMENT, type OpenApiHolder } from './openapi.holder';

@ApiExcludeController()
@Controller('v1')
export class OpenApiController {
  constructor(@Inject(OPENAPI_DOCUMENT) private readonly holder: OpenApiHolder) {}

  @Public()
  @Get('openapi.json')
  @Header('cache-control', 'no-cache')
  document(): unknown {
    return this.holder.document;
  }
}
