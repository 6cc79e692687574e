import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { createZodDto, ZodResponse } from 'nestjs-zod';
import { z } from 'zod';
import { MinRole } from '../auth/access';
import { Tenant, type TenantContext } from '../auth/tenant';
import { ProblemError } from '../http/problem';

const DAY_MS = 86_400_000;
const DEFAULT_DAYS = 30;
const MAX_DAYS = 366;

const spendQuerySchema = z.strictObject({
  from: z.iso.date({ message: 'must be a date (YYYY-MM-DD)' }).optional().describe('First day (UTC), inclusive; default 29 days before `to`.'),
  to: z.iso.date({ message: 'must be a date (YYYY-MM-DD)' }).optional().describe('Last day (UTC), inclusive; default today.'),
});

const tally = {
  calls: z.int().describe('Model calls (attempts), failed ones included.'),
  okCalls: z.int(),
  inputTokens: z.int(),
  outputTokens: z.int(),
  cacheReadTokens: z.int(),
  cacheWriteTokens: z.int(),
  costMicroUsd: z.int().describe('Integer micro-USD, from the price table named on each call.'),
};

const spendSchema = z.object({
  from: z.iso.date(),
  to: z.iso.date(),
  currency: z.literal('USD'),
  days: z.array(z.object({ day: z.iso.date(), pass: z.int(), ...tally })).describe('One row per day and pass that had calls.'),
  byPass: z.array(z.object({ pass: z.int(), ...tally })),
  total: z.object(tally),
  priceTableVersions: z.array(z.string()).describe('The price tables the calls in the range were costed with.'),
});

class SpendQueryDto extends createZodDto(spendQuerySchema) {}
class SpendDto extends createZodDto(spendSchema) {}

interface SpendRow extends Record<string, unknown> {
  day: string;
  pass: number;
  calls: string;
  ok_calls: string;
  input_tokens: string;
  output_tokens: string;
  cache_read_tokens: string;
  cache_write_tokens: string;
  cost_micro_usd: string;
}

type Tally = { [K in keyof typeof tally]: number };

const empty = (): Tally => ({ calls: 0, okCalls: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costMicroUsd: 0 });

function add(into: Tally, t: Tally): void {
  for (const k of Object.keys(into) as (keyof Tally)[]) into[k] += t[k];
}

/**
 * The org's model spend per day and pass, from its model_call rows (one per attempt). Per-org
 * figures live only here; Prometheus counts by pass, without an org label.
 */
@ApiTags('usage')
@Controller('v1/usage')
export class ModelSpendController {
  @Get('model-spend')
  @MinRole('admin')
  @ApiOperation({ summary: 'Model spend of the organization per day (UTC) and pass: calls, tokens and cost in micro-USD' })
  @ZodResponse({ status: 200, type: SpendDto })
  async spend(@Tenant() t: TenantContext, @Query() query: SpendQueryDto) {
    const to = query.to ?? new Date().toISOString().slice(0, 10);
    const from = query.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_DAYS - 1) * DAY_MS).toISOString().slice(0, 10);
    const start = Date.parse(`${from}T00:00:00Z`);
    const end = Date.parse(`${to}T00:00:00Z`) + DAY_MS;
    if (start >= end) throw ProblemError.validation([{ field: 'from', message: 'must be on or before `to`' }]);
    if (end - start > MAX_DAYS * DAY_MS) throw ProblemError.validation([{ field: 'from', message: `the range is at most ${MAX_DAYS} days` }]);

    const connection = t.em.getConnection();
    const range = [t.orgId, new Date(start), new Date(end)];
    const rows = await connection.execute<SpendRow[]>(
      `select to_char(("created_at" at time zone 'UTC')::date, 'YYYY-MM-DD') as "day", "pass",
              count(*) as "calls", count(*) filter (where "outcome" = 'ok') as "ok_calls",
              sum("input_tokens") as "input_tokens", sum("output_tokens") as "output_tokens",
              sum("cache_read_tokens") as "cache_read_tokens", sum("cache_write_tokens") as "cache_write_tokens",
              sum("cost_micro_usd") as "cost_micro_usd"
         from "model_call"
        where "org_id" = ? and "created_at" >= ? and "created_at" < ?
        group by 1, 2
        order by 1, 2`,
      range,
    );
    const versions = await connection.execute<{ version: string }[]>(
      `select distinct "price_table_version" as "version" from "model_call"
        where "org_id" = ? and "created_at" >= ? and "created_at" < ? and "price_table_version" is not null
        order by 1`,
      range,
    );

    const days = rows.map((r) => ({
      day: r.day,
      pass: Number(r.pass),
      calls: Number(r.calls),
      okCalls: Number(r.ok_calls),
      inputTokens: Number(r.input_tokens),
      outputTokens: Number(r.output_tokens),
      cacheReadTokens: Number(r.cache_read_tokens),
      cacheWriteTokens: Number(r.cache_write_tokens),
      costMicroUsd: Number(r.cost_micro_usd),
    }));
    const byPass = new Map<number, Tally>();
    const total = empty();
    for (const { day: _day, pass, ...counts } of days) {
      if (!byPass.has(pass)) byPass.set(pass, empty());
      add(byPass.get(pass)!, counts);
      add(total, counts);
    }
    return {
      from,
      to,
      currency: 'USD' as const,
      days,
      byPass: [...byPass.entries()].sort(([a], [b]) => a - b).map(([pass, t]) => ({ pass, ...t })),
      total,
      priceTableVersions: versions.map((v) => v.version),
    };
  }
}
