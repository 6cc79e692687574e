import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';

export interface HttpAnswer {
  status: number;
  body: string;
}

/** One HTTP request with a prepared body; the answer is read whole. */
export function send(
  agent: Agent,
  url: string,
  method: string,
  headers: Record<string, string | number>,
  body?: Buffer,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface MultipartBody {
  contentType: string;
  body: Buffer;
}

/**
 * A multipart/form-data body with one part named "file", built once so the timed request only
 * writes bytes (no client-side encoding in the measurement).
 */
export function multipartFile(filename: string, contentType: string, bytes: Buffer): MultipartBody {
  const boundary = `----spxbench${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\n` +
      `Content-Disposition: form-data; name="file"; filename="${filename}"\r\n` +
      `Content-Type: ${contentType}\r\n\r\n`,
    'utf8',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat([head, bytes, tail]) };
}
