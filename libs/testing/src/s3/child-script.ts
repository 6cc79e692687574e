/**
 * Source of the process that hosts s3rver, passed to `node -e`.
 *
 * It lives in a string rather than a file because this package is consumed both from its
 * TypeScript sources (vitest) and from `dist` (the launcher): plain JS text runs the same in both.
 * The parent supplies the module path and options through the environment.
 */
export const S3RVER_CHILD_SCRIPT = `
'use strict';
const S3rver = require(process.env.SPX_S3RVER_MODULE);
const cfg = JSON.parse(process.env.SPX_S3RVER_CONFIG);

// The IPC channel closes whenever the parent goes away, even on SIGKILL: never outlive it.
process.on('disconnect', () => process.exit(0));

const server = new S3rver({
  address: cfg.address,
  port: cfg.port,
  directory: cfg.directory,
  silent: true,
  configureBuckets: cfg.buckets.map((name) => ({ name, configs: [] })),
});
server.run().then(
  (addr) => process.send({ type: 'ready', port: addr.port }),
  (err) => process.send({ type: 'failed', message: String((err && err.stack) || err) }, () => process.exit(1)),
);
`;
