import 'reflect-metadata';
import { Module, type DynamicModule, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '@sessionpix/config';
import { answerOps, HealthRegistry, OPS_PATHS, serverPort, startOpsServer } from '@sessionpix/observability';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DestinationStream } from 'pino';
import { CoreModule } from './core.module';
import type { ServiceDefinition } from './service-definition';

export interface RunningProcess {
  app: INestApplicationContext;
  /** Set when the gateway runs here. */
  http?: NestFastifyApplication;
  httpUrl?: string;
  opsUrl: string;
  close(): Promise<void>;
}

export interface StartOptions {
  config: AppConfig;
  /** Every service this build knows; SESSIONPIX_SERVICES picks among them. */
  available: readonly ServiceDefinition[];
  /** Tests capture logs here. */
  logDestination?: DestinationStream;
  /** Install SIGTERM/SIGINT handlers (off in tests that start several processes). */
  handleSignals?: boolean;
}

/** Builds one Nest process from the services named in the configuration. */
export async function startProcess(opts: StartOptions): Promise<RunningProcess> {
  const { config } = opts;
  const selected = opts.available.filter((s) => config.SESSIONPIX_SERVICES.includes(s.name));
  const missing = config.SESSIONPIX_SERVICES.filter((n) => !selected.some((s) => s.name === n));
  if (missing.length > 0) throw new Error(`SESSIONPIX_SERVICES names services this build lacks: ${missing.join(', ')}`);

  @Module({})
  class ProcessModule {}
  const root: DynamicModule = {
    module: ProcessModule,
    imports: [
      CoreModule.forRoot(config, selected.map((s) => s.name), opts.logDestination),
      ...selected.map((s) => s.module),
    ],
  };

  const httpService = selected.find((s) => s.configureHttp);
  let app: INestApplicationContext;
  let http: NestFastifyApplication | undefined;
  if (httpService) {
    http = await NestFactory.create<NestFastifyApplication>(
      root,
      new FastifyAdapter({ trustProxy: true, bodyLimit: 1024 * 1024 }),
      { bufferLogs: true, abortOnError: false },
    );
    app = http;
  } else {
    app = await NestFactory.createApplicationContext(root, { bufferLogs: true, abortOnError: false });
  }
  app.useLogger(app.get(PinoNestLogger));
  if (opts.handleSignals !== false) app.enableShutdownHooks(['SIGTERM', 'SIGINT']);

  const health = app.get(HealthRegistry);
  let ops: Server | undefined;
  try {
    ops = await startOpsServer(config.OPS_PORT, health);
    let httpUrl: string | undefined;
    if (http && httpService?.configureHttp) {
      mountOpsRoutes(http, health);
      await httpService.configureHttp(http, config);
      await http.listen(config.PORT, '0.0.0.0');
      const address = http.getHttpServer().address() as AddressInfo;
      httpUrl = `http://127.0.0.1:${address.port}`;
    } else {
      await app.init();
    }
    const opsServer = ops;
    return {
      app,
      http,
      httpUrl,
      opsUrl: `http://127.0.0.1:${serverPort(opsServer)}`,
      close: async () => {
        await app.close();
        await new Promise<void>((r) => opsServer.close(() => r()));
      },
    };
  } catch (err) {
    await app.close().catch(() => undefined);
    ops?.close();
    throw err;
  }
}

/** In the gateway's process the ops paths answer on the public port too. */
function mountOpsRoutes(http: NestFastifyApplication, health: HealthRegistry): void {
  const fastify = http.getHttpAdapter().getInstance();
  for (const path of OPS_PATHS) {
    fastify.get(path, async (_req, reply) => {
      const answer = await answerOps(path, health);
      return reply.status(answer.status).header('content-type', answer.contentType).send(answer.body);
    });
  }
}
