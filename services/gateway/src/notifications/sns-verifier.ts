import { verify as verifySignature, X509Certificate } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { z } from 'zod';

export class SnsVerificationError extends Error {
  override name = 'SnsVerificationError';
  constructor(
    readonly code: 'invalid_sns_message' | 'unknown_topic' | 'invalid_signature',
    message: string,
  ) {
    super(message);
  }
}

const snsMessageSchema = z.object({
  Type: z.enum(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']),
  MessageId: z.string().min(1).max(200),
  TopicArn: z.string().regex(/^arn:aws(-us-gov)?:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/),
  Subject: z.string().max(1000).optional().nullable(),
  Message: z.string().max(256 * 1024),
  Timestamp: z.string().min(1).max(64),
  SignatureVersion: z.enum(['1', '2']),
  Signature: z.string().min(1).max(4096),
  SigningCertURL: z.string().min(1).max(2048),
  SubscribeURL: z.string().max(4096).optional(),
  UnsubscribeURL: z.string().max(4096).optional(),
  Token: z.string().max(2048).optional(),
});
export type SnsMessage = z.infer<typeof snsMessageSchema>;

/** The fields SNS signs, in this order, for each message type (AWS: "Verifying message signatures"). */
const SIGNED_FIELDS: Record<SnsMessage['Type'], (keyof SnsMessage)[]> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
  UnsubscribeConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
};

export function snsStringToSign(message: SnsMessage): string {
  let text = '';
  for (const field of SIGNED_FIELDS[message.Type]) {
    const value = message[field];
    // Subject is signed only when the notification has one.
    if (value === undefined || value === null) {
      if (field === 'Subject') continue;
      throw new SnsVerificationError('invalid_sns_message', `the ${message.Type} has no ${field}`);
    }
    text += `${field}\n${value}\n`;
  }
  return text;
}

const CERT_CACHE_LIMIT = 50;
const FETCH_TIMEOUT_MS = 5_000;
const MAX_CERT_BYTES = 16 * 1024;

/**
 * Checks that an SNS message is really from SNS, for one of our topics, before anything acts
 * on it:
 *  - the topic is one of SES_EVENTS_TOPIC_ARNS (anyone can make a topic of their own and have
 *    SNS sign what it publishes, so a valid signature alone proves nothing);
 *  - the signing certificate comes from https://sns.<the topic's region>.amazonaws.com/….pem
 *    (P10: no other host is fetched; SNS_ALLOWED_LOCAL_HOSTS adds a loopback stand-in in tests,
 *    and configuration refuses it in production);
 *  - the signature (SignatureVersion 1: RSA-SHA1, 2: RSA-SHA256) verifies over the fields SNS
 *    signs, with a certificate that is currently valid.
 * Certificates are cached by URL. SubscribeURL is fetched (to confirm a subscription) only from
 * the same hosts.
 */
@Injectable()
export class SnsVerifier {
  private readonly topics: ReadonlySet<string>;
  private readonly localHosts: ReadonlySet<string>;
  private readonly certs = new Map<string, Promise<X509Certificate>>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.topics = new Set(config.SES_EVENTS_TOPIC_ARNS ?? []);
    this.localHosts = new Set(config.NODE_ENV === 'production' ? [] : (config.SNS_ALLOWED_LOCAL_HOSTS ?? []));
  }

  parse(body: unknown): SnsMessage {
    let value = body;
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      try {
        value = JSON.parse(String(body));
      } catch {
        throw new SnsVerificationError('invalid_sns_message', 'the body is not JSON');
      }
    }
    const parsed = snsMessageSchema.safeParse(value);
    if (!parsed.success) {
      throw new SnsVerificationError(
        'invalid_sns_message',
        `not an SNS message: ${parsed.error.issues.map((i) => i.path.join('.') || '(body)').join(', ')}`,
      );
    }
    return parsed.data;
  }

  async verify(message: SnsMessage): Promise<void> {
    if (!this.topics.has(message.TopicArn)) {
      throw new SnsVerificationError('unknown_topic', 'the topic is not one SES events are accepted from (SES_EVENTS_TOPIC_ARNS)');
    }
    const region = message.TopicArn.split(':')[3];
    const certUrl = this.allowedUrl(message.SigningCertURL, region);
    if (!certUrl || !certUrl.pathname.endsWith('.pem')) {
      throw new SnsVerificationError('invalid_signature', 'the signing certificate is not on an SNS host of the topic’s region');
    }
    const cert = await this.certificate(certUrl.toString());
    const now = Date.now();
    if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) < now) {
      throw new SnsVerificationError('invalid_signature', 'the signing certificate is not currently valid');
    }
    const algorithm = message.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256';
    let ok = false;
    try {
      ok = verifySignature(algorithm, Buffer.from(snsStringToSign(message), 'utf8'), cert.publicKey, Buffer.from(message.Signature, 'base64'));
    } catch (err) {
      if (err instanceof SnsVerificationError) throw err;
      ok = false;
    }
    if (!ok) throw new SnsVerificationError('invalid_signature', 'the signature does not verify');
  }

  /** Confirms a (verified) subscription by fetching its SubscribeURL, on an allowed host only. */
  async confirmSubscription(message: SnsMessage): Promise<void> {
    const region = message.TopicArn.split(':')[3];
    const url = message.SubscribeURL ? this.allowedUrl(message.SubscribeURL, region) : null;
    if (!url) throw new SnsVerificationError('invalid_sns_message', 'the SubscribeURL is not on an SNS host of the topic’s region');
    const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`confirming the SNS subscription answered ${res.status}`);
  }

  /**
   * The URL when it is https://sns.<region>.amazonaws.com/… (nothing else in it: no port, no
   * credentials), or a loopback host:port listed in SNS_ALLOWED_LOCAL_HOSTS; otherwise null.
   */
  allowedUrl(raw: string, region: string): URL | null {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return null;
    }
    if (url.username || url.password) return null;
    if (this.localHosts.has(url.host.toLowerCase()) && (url.protocol === 'http:' || url.protocol === 'https:')) return url;
    if (url.protocol !== 'https:' || url.port !== '') return null;
    return url.hostname.toLowerCase() === `sns.${region}.amazonaws.com` ? url : null;
  }

  private certificate(url: string): Promise<X509Certificate> {
    let cert = this.certs.get(url);
    if (!cert) {
      cert = this.fetchCertificate(url);
      if (this.certs.size >= CERT_CACHE_LIMIT) this.certs.delete(this.certs.keys().next().value!);
      this.certs.set(url, cert);
      // A failed fetch is not cached.
      cert.catch(() => this.certs.delete(url));
    }
    return cert;
  }

  private async fetchCertificate(url: string): Promise<X509Certificate> {
    let res: Response;
    try {
      res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    } catch (err) {
      throw new SnsVerificationError('invalid_signature', `the signing certificate could not be fetched: ${String(err)}`);
    }
    const body = Buffer.from(await res.arrayBuffer());
    if (!res.ok || body.length > MAX_CERT_BYTES) {
      throw new SnsVerificationError('invalid_signature', `the signing certificate could not be fetched (${res.status})`);
    }
    try {
      return new X509Certificate(body);
    } catch {
      throw new SnsVerificationError('invalid_signature', 'the signing certificate is not an X.509 certificate');
    }
  }
}
