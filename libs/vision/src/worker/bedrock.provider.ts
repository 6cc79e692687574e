import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { createBedrockClient } from '../client';

const CREDENTIALS_CHECK_MS = 3_000;

/**
 * The Bedrock client, and whether vision may run at all. Without a region and credentials
 * (or an explicit endpoint) items wait as `paused` with `vision_not_configured` instead of
 * failing; the workers resume them once it is configured.
 */
@Injectable()
export class BedrockProvider implements OnModuleDestroy {
  private readonly log = new Logger('Bedrock');
  readonly client: BedrockRuntimeClient | null;
  private configured: Promise<boolean> | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.client =
      config.VISION_ENABLED === 'false' || !config.AWS_REGION
        ? null
        : createBedrockClient({ region: config.AWS_REGION, endpoint: config.AWS_ENDPOINT_URL_BEDROCK_RUNTIME });
  }

  isConfigured(): Promise<boolean> {
    this.configured ??= this.check();
    return this.configured;
  }

  private async check(): Promise<boolean> {
    if (!this.client) return false;
    if (this.config.VISION_ENABLED === 'true' || this.config.AWS_ENDPOINT_URL_BEDROCK_RUNTIME) return true;
    try {
      let timer: NodeJS.Timeout | undefined;
      const found = await Promise.race([
        this.client.config.credentials().then((c) => Boolean(c.accessKeyId)),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), CREDENTIALS_CHECK_MS);
        }),
      ]).finally(() => clearTimeout(timer));
      if (!found) this.log.warn('no AWS credentials found: vision waits until they are configured');
      return found;
    } catch {
      this.log.warn('no AWS credentials found: vision waits until they are configured');
      return false;
    }
  }

  onModuleDestroy(): void {
    this.client?.destroy();
  }
}
