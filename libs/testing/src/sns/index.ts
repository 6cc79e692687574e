import { execFileSync } from 'node:child_process';
import { createSign, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SnsEnvelope {
  Type: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: '1' | '2';
  Signature: string;
  SigningCertURL: string;
  SubscribeURL?: string;
  UnsubscribeURL?: string;
  Token?: string;
}

export interface SnsStandin {
  /** `127.0.0.1:<port>`, for SNS_ALLOWED_LOCAL_HOSTS. */
  host: string;
  certUrl: string;
  /** Paths the stand-in was asked for (the certificate, subscription confirmations). */
  readonly hits: string[];
  /** A Notification carrying `message` (JSON-encoded), signed as SNS signs (version 1: SHA1, 2: SHA256). */
  notification(topicArn: string, message: unknown, opts?: { version?: '1' | '2'; subject?: string }): SnsEnvelope;
  subscriptionConfirmation(topicArn: string, opts?: { version?: '1' | '2'; subscribeUrl?: string }): SnsEnvelope;
  /** Re-signs an envelope after a test changed it (to show that the certificate, not the signature, is what fails). */
  sign(envelope: Omit<SnsEnvelope, 'Signature'>): SnsEnvelope;
  close(): Promise<void>;
}

const SIGNED_FIELDS: Record<SnsEnvelope['Type'], (keyof SnsEnvelope)[]> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
  UnsubscribeConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
};

/**
 * A stand-in for SNS's side of HTTP delivery: a key pair and a self-signed certificate made
 * with the openssl CLI at start, served over HTTP on loopback as SNS serves its signing
 * certificate, plus a SubscribeURL that records being fetched. Messages are signed the way SNS
 * signs them, so the gateway's verifier runs unchanged (only the allowed certificate host is
 * configured: SNS_ALLOWED_LOCAL_HOSTS).
 */
export async function startSnsStandin(): Promise<SnsStandin> {
  const dir = mkdtempSync(join(tmpdir(), 'spx-sns-'));
  let key: string;
  let cert: string;
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=sns.amazonaws.com', '-days', '2'],
      { stdio: 'ignore' },
    );
    key = readFileSync(join(dir, 'key.pem'), 'utf8');
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url?.startsWith('/SimpleNotificationService-')) {
      res.writeHead(200, { 'content-type': 'application/x-x509-ca-cert' }).end(cert);
    } else if (req.url?.startsWith('/?Action=ConfirmSubscription')) {
      res.writeHead(200, { 'content-type': 'text/xml' }).end('<ConfirmSubscriptionResponse/>');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const certUrl = `http://${host}/SimpleNotificationService-test.pem`;

  const sign = (envelope: Omit<SnsEnvelope, 'Signature'>): SnsEnvelope => {
    let text = '';
    for (const field of SIGNED_FIELDS[envelope.Type]) {
      const value = envelope[field as keyof typeof envelope];
      if (value === undefined) continue;
      text += `${field}\n${value}\n`;
    }
    const signer = createSign(envelope.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
    signer.update(text, 'utf8');
    return { ...envelope, Signature: signer.sign(key, 'base64') };
  };

  return {
    host,
    certUrl,
    hits,
    sign,
    notification(topicArn, message, opts = {}) {
      return sign({
        Type: 'Notification',
        MessageId: randomUUID(),
        TopicArn: topicArn,
        ...(opts.subject ? { Subject: opts.subject } : {}),
        Message: typeof message === 'string' ? message : JSON.stringify(message),
        Timestamp: new Date().toISOString(),
        SignatureVersion: opts.version ?? '2',
        SigningCertURL: certUrl,
        UnsubscribeURL: `http://${host}/?Action=Unsubscribe`,
      });
    },
    subscriptionConfirmation(topicArn, opts = {}) {
      const token = randomUUID().replace(/-/g, '');
      return sign({
        Type: 'SubscriptionConfirmation',
        MessageId: randomUUID(),
        TopicArn: topicArn,
        Message: `You have chosen to subscribe to the topic ${topicArn}.`,
        Timestamp: new Date().toISOString(),
        SignatureVersion: opts.version ?? '2',
        SigningCertURL: certUrl,
        SubscribeURL: opts.subscribeUrl ?? `http://${host}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(topicArn)}&Token=${token}`,
        Token: token,
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An SES bounce or complaint event as SES event publishing sends it through SNS. */
export function sesEvent(
  type: 'Bounce' | 'Complaint' | 'Delivery',
  recipients: string[],
  opts: { bounceType?: 'Permanent' | 'Transient'; messageId?: string } = {},
): Record<string, unknown> {
  const mail = { messageId: opts.messageId ?? `ses-${randomUUID()}`, timestamp: new Date().toISOString(), destination: recipients };
  if (type === 'Bounce') {
    return {
      eventType: 'Bounce',
      mail,
      bounce: {
        bounceType: opts.bounceType ?? 'Permanent',
        bounceSubType: opts.bounceType === 'Transient' ? 'MailboxFull' : 'General',
        bouncedRecipients: recipients.map((emailAddress) => ({ emailAddress, action: 'failed', status: '5.1.1' })),
        timestamp: new Date().toISOString(),
      },
    };
  }
  if (type === 'Complaint') {
    return {
      eventType: 'Complaint',
      mail,
      complaint: {
        complainedRecipients: recipients.map((emailAddress) => ({ emailAddress })),
        complaintFeedbackType: 'abuse',
        timestamp: new Date().toISOString(),
      },
    };
  }
  return { eventType: 'Delivery', mail, delivery: { recipients, timestamp: new Date().toISOString() } };
}
