import { ConfigError, loadConfig } from '@sessionpix/config';
import { migrateDatabase } from '@sessionpix/db';

async function main(): Promise<void> {
  // Migrations need only the database; other variables are checked by the services.
  const config = loadConfig(process.env, { services: [] });
  const report = await migrateDatabase(config.DATABASE_URL);
  const where = new URL(config.DATABASE_URL).pathname.slice(1);
  if (report.createdDatabase) process.stdout.write(`created database ${where}\n`);
  process.stdout.write(
    report.applied.length > 0
      ? `applied ${report.applied.length} migration(s) to ${where}: ${report.applied.join(', ')}\n`
      : `database ${where} is up to date\n`,
  );
  if (report.catalogSeeded > 0) process.stdout.write(`equipment catalog: wrote ${report.catalogSeeded} shipped entr${report.catalogSeeded === 1 ? 'y' : 'ies'}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : `migration failed: ${String(err)}`}\n`);
  process.exit(1);
});
