import type { Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '@sessionpix/config';
import type { ServiceName } from '@sessionpix/contracts';

/** How a service plugs into a process: its module, and HTTP set-up if it serves HTTP. */
export interface ServiceDefinition {
  name: ServiceName;
  module: Type<unknown>;
  configureHttp?: (app: NestFastifyApplication, config: AppConfig) => Promise<void> | void;
}
