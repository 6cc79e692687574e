import { startS3Standin, type S3Standin } from './standin';

/**
 * Starts the stand-in from the environment (what the CLI and the all-in-one launcher use):
 *   S3_STANDIN_DIR   data directory (required; kept across restarts)
 *   S3_STANDIN_PORT  port, 0 or unset for a free one
 *   S3_BUCKET        bucket to create when missing (required)
 */
export async function startS3StandinFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<S3Standin> {
  const dataDir = env.S3_STANDIN_DIR;
  const bucket = env.S3_BUCKET;
  const rawPort = env.S3_STANDIN_PORT || '0';
  const port = Number(rawPort);
  const problems = [
    !dataDir && 'S3_STANDIN_DIR is required',
    !bucket && 'S3_BUCKET is required',
    !(Number.isInteger(port) && port >= 0 && port <= 65535) && `S3_STANDIN_PORT must be a port number, got "${rawPort}"`,
  ].filter(Boolean);
  if (problems.length > 0 || !dataDir || !bucket) {
    throw new Error(`s3 stand-in: ${problems.join('; ')}`);
  }
  return startS3Standin({ dataDir, bucket, port });
}
