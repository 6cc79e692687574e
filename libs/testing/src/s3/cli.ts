/**
 * Runs the S3 stand-in until SIGINT/SIGTERM, configured as startS3StandinFromEnv describes.
 * Prints one JSON line (endpoint, port, bucket, pid) for a launcher or a person to read.
 */
import { startS3StandinFromEnv } from './from-env';

startS3StandinFromEnv().then(
  (standin) => {
    // The stand-in unrefs its child so tests never hang; this process exists to keep it running.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const { endpoint, port, bucket, pid } = standin;
    process.stdout.write(JSON.stringify({ endpoint, port, bucket, pid }) + '\n');
    const stop = () => {
      clearInterval(keepAlive);
      void standin.close().then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
