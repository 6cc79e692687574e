import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { SendEmailCommand, SESv2Client, type MessageHeader } from '@aws-sdk/client-sesv2';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';

export interface OutgoingEmail {
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Extra MIME headers (List-Unsubscribe, List-Unsubscribe-Post). */
  headers?: { name: string; value: string }[];
  /** SES message tags (letters, digits, _ and - only). */
  tags?: Record<string, string>;
}

/**
 * What a failed SendEmail means for the e-mail:
 *  - `throttled`: SES answered "too many requests": not sent; slow the whole queue down;
 *  - `transient`: SES answered with an error that may clear (5xx, a paused account), or no
 *    connection was ever made: not sent; try again later;
 *  - `permanent`: SES refused this message (MessageRejected, a bad request): never retried;
 *    `badRecipient` when it is the address that is wrong;
 *  - `ambiguous`: the request may have reached SES (a timeout or a connection lost mid-way):
 *    it may have been sent, so it must not be sent again.
 */
export type SendFailure =
  | { kind: 'throttled' | 'transient' | 'ambiguous'; code: string; message: string }
  | { kind: 'permanent'; code: string; message: string; badRecipient: boolean };

/** Errors before a connection exists: the request never left this process. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED']);
const THROTTLING = new Set(['TooManyRequestsException', 'Throttling', 'ThrottlingException', 'ThrottledException']);
/** SES answered, and the condition is the account's, not the message's: it may clear. */
const ACCOUNT_CONDITIONS = new Set(['SendingPausedException', 'AccountSuspendedException', 'LimitExceededException']);

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').slice(0, 500);
}

export function classifySesError(err: unknown): SendFailure {
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; $fault?: string };
  const status = e?.$metadata?.httpStatusCode;
  const name = e?.name ?? 'Error';
  const message = errorText(err);
  if (status !== undefined) {
    if (status === 429 || THROTTLING.has(name)) return { kind: 'throttled', code: name, message };
    if (status >= 500 || e.$fault === 'server' || ACCOUNT_CONDITIONS.has(name)) return { kind: 'transient', code: name, message };
    const badRecipient =
      name === 'BadRequestException' && /address|recipient|destination|domain|mailbox|@/i.test(message);
    return { kind: 'permanent', code: name, message, badRecipient };
  }
  // No credentials, or none that could sign: the request was never made.
  if (name === 'CredentialsProviderError' || name === 'TokenProviderError') return { kind: 'transient', code: name, message };
  const code = e?.code ?? (err as { cause?: { code?: string } })?.cause?.code;
  if (code && NOT_CONNECTED.has(code)) return { kind: 'transient', code, message };
  // The SDK's connection timeout fires before any byte is sent.
  if (name === 'TimeoutError' && /without establishing a connection/i.test(message)) {
    return { kind: 'transient', code: 'ConnectTimeout', message };
  }
  return { kind: 'ambiguous', code: code ?? name, message };
}

export class SesSendError extends Error {
  override name = 'SesSendError';
  constructor(readonly failure: SendFailure) {
    super(`${failure.code}: ${failure.message}`);
  }
}

/**
 * SES v2 SendEmail with the real SDK; the endpoint (AWS_ENDPOINT_URL_SESV2) is the only thing
 * that differs with the local stand-in. The SDK's own retries are off: SES has no idempotency
 * key, so a retried request could send twice. The notifications worker decides what to retry
 * from `classifySesError`.
 */
@Injectable()
export class SesMailer implements OnApplicationShutdown {
  readonly client: SESv2Client;
  private readonly from: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    if (!config.SES_FROM_ADDRESS || !config.AWS_REGION) {
      throw new Error('the notifications service needs SES_FROM_ADDRESS and AWS_REGION');
    }
    this.from = config.SES_FROM_ADDRESS;
    this.client = createSesClient(config);
  }

  /** Returns SES's message id; throws SesSendError, classified. */
  async send(mail: OutgoingEmail, signal?: AbortSignal): Promise<string> {
    const headers: MessageHeader[] | undefined = mail.headers?.map((h) => ({ Name: h.name, Value: h.value }));
    try {
      const answer = await this.client.send(
        new SendEmailCommand({
          FromEmailAddress: this.from,
          Destination: { ToAddresses: [mail.to] },
          // P23: a reply reaches a person.
          ReplyToAddresses: [this.config.SUPPORT_EMAIL],
          Content: {
            Simple: {
              Subject: { Data: mail.subject, Charset: 'UTF-8' },
              Body: { Text: { Data: mail.text, Charset: 'UTF-8' }, Html: { Data: mail.html, Charset: 'UTF-8' } },
              ...(headers && headers.length > 0 ? { Headers: headers } : {}),
            },
          },
          ConfigurationSetName: this.config.SES_CONFIGURATION_SET,
          EmailTags: Object.entries(mail.tags ?? {}).map(([Name, Value]) => ({ Name, Value })),
        }),
        { abortSignal: signal },
      );
      if (!answer.MessageId) throw Object.assign(new Error('SES answered without a MessageId'), { code: 'NoMessageId' });
      return answer.MessageId;
    } catch (err) {
      throw new SesSendError(classifySesError(err));
    }
  }

  onApplicationShutdown(): void {
    this.client.destroy();
  }
}

export function createSesClient(config: Pick<AppConfig, 'AWS_REGION' | 'AWS_ENDPOINT_URL_SESV2'>): SESv2Client {
  const agent = { keepAlive: true, maxSockets: 64 };
  return new SESv2Client({
    region: config.AWS_REGION,
    ...(config.AWS_ENDPOINT_URL_SESV2 ? { endpoint: config.AWS_ENDPOINT_URL_SESV2 } : {}),
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: 5_000,
      requestTimeout: 20_000,
      httpAgent: new HttpAgent(agent),
      httpsAgent: new HttpsAgent(agent),
    },
  });
}
