import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '@sessionpix/config';
import { EvalSetupError, runEvaluation } from './runner';
import { formatReport } from './scorer';

const USAGE = `usage: npm run eval:vision -- --dir <folder> [--json <file>] [--timeout-minutes N]

Runs both vision passes over every photo in <folder> that has a label file beside it
(photo.jpg + photo.json) and prints how many pieces of equipment were identified, how many
serials were read exactly, and how many controls were read within one clock-hour / 1 dB.

Against Bedrock: AWS_REGION, credentials (the SDK's default chain) and S3_BUCKET, where the
photos are staged for the run and deleted afterwards. The models are VISION_PASS1_MODEL,
VISION_PASS1_ESCALATION_MODEL and VISION_PASS2_MODEL as configured. With
AWS_ENDPOINT_URL_BEDROCK_RUNTIME set, it runs against that Converse endpoint instead.
Needs PostgreSQL (TEST_DATABASE_SERVER_URL, default postgres://postgres@127.0.0.1:5432/postgres)
and Redis (REDIS_URL) for a throwaway database and queue prefix.

The shipped synthetic set: apps/sessionpix/eval-set.`;

async function main(): Promise<number> {
  let values: { dir?: string; json?: string; 'timeout-minutes'?: string; help?: boolean };
  try {
    values = parseArgs({
      args: process.argv.slice(2),
      options: { dir: { type: 'string' }, json: { type: 'string' }, 'timeout-minutes': { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.dir) {
    process.stderr.write(`--dir is required\n\n${USAGE}\n`);
    return 2;
  }
  const minutes = values['timeout-minutes'] ? Number(values['timeout-minutes']) : 20;
  const log = (line: string) => process.stderr.write(`[eval] ${line}\n`);
  try {
    const report = await runEvaluation({ dir: resolve(values.dir), env: process.env, log, timeoutMs: minutes * 60_000 });
    const header = [
      `sessionpix vision evaluation — ${report.scores.length} photo(s) from ${resolve(values.dir)}`,
      `${report.bedrock}; pass 1 ${report.models.pass1} (escalation ${report.models.escalation}); pass 2 ${report.models.pass2}`,
      `${report.modelCalls} model call(s), ${(report.costMicroUsd / 1e6).toFixed(4)} USD by the configured price table`,
    ];
    process.stdout.write(formatReport(report.scores, report.summary, header));
    if (values.json) writeFileSync(resolve(values.json), `${JSON.stringify(report, null, 2)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof EvalSetupError || err instanceof ConfigError) {
      process.stderr.write(`eval:vision: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`eval:vision failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
