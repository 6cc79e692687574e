import { Controller, Get, HttpStatus, Param, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Analysis, Item } from '@sessionpix/db';
import { buildRecallSheet, recallSheetCsv, recallSheetText, type RecallSheet, type StoredAnalysis } from '@sessionpix/vision';
import type { FastifyReply } from 'fastify';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { MinRole } from '../auth/access';
import { Tenant, type TenantContext } from '../auth/tenant';
import { ProblemError } from '../http/problem';
import { IdParamDto } from './item.schemas';

const recallSheetQuerySchema = z.strictObject({
  format: z
    .enum(['json', 'csv', 'text'], { message: 'must be json, csv or text' })
    .default('json')
    .describe('json (default), csv (one row per control) or text (printable).'),
});

const controlSchema = z.object({
  label: z.string().nullable(),
  type: z.string(),
  position: z.string().nullable().describe('For people: "2:00", "-5 dB", "IN"; null when unreadable.'),
  clock: z.string().nullable(),
  travel: z.number().nullable(),
  index_0_10: z.number().nullable(),
  db: z.number().nullable(),
  state: z.string().nullable(),
  readable: z.boolean(),
  unreadable_reason: z.string().nullable(),
  confidence: z.number(),
  image: z.string().describe('The image the reading comes from, e.g. "Image 2 (crop of device 1)".'),
});

const recallSheetSchema = z.object({
  item_id: z.uuid(),
  disclaimer: z.string().describe('P13: AI output is informational only.'),
  image_quality: z.record(z.string(), z.boolean()),
  devices: z.array(
    z.object({
      number: z.int(),
      category: z.string(),
      brand: z.string().nullable(),
      model: z.string().nullable(),
      model_confidence: z.number(),
      serial: z.object({ raw: z.string(), normalized: z.string() }).nullable(),
      catalog: z.object({ slug: z.string(), brand: z.string(), model: z.string(), layout_approximate: z.boolean().nullable() }).nullable(),
      quality: z.record(z.string(), z.boolean()).nullable(),
      sections: z.array(z.object({ name: z.string().nullable(), controls: z.array(controlSchema) })),
      controls_total: z.int(),
      controls_unreadable: z.int(),
    }),
  ),
  sources: z.record(z.string(), z.object({ model: z.string(), prompt_version: z.string(), schema_version: z.string() })),
});

class RecallSheetQueryDto extends createZodDto(recallSheetQuerySchema) {}
class RecallSheetDto extends createZodDto(recallSheetSchema) {}

const CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', text: 'text/plain; charset=utf-8' } as const;

/** The recall sheet of an analysed item, as JSON or printable; every form carries the disclaimer (P13). */
@ApiTags('items')
@Controller('v1/items')
export class RecallSheetController {
  @Get(':id/recall-sheet')
  @MinRole('viewer')
  @ApiOperation({
    summary: 'The recall sheet of an analysed item: each device and its controls by section, with positions and confidence',
    description: 'JSON by default; `?format=csv` (one row per control) and `?format=text` (printable). 409 until the item is analyzed.',
  })
  @ApiProduces('application/json', 'text/csv', 'text/plain')
  @ApiOkResponse({ type: RecallSheetDto })
  async get(
    @Tenant() t: TenantContext,
    @Param() params: IdParamDto,
    @Query() query: RecallSheetQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RecallSheet | string> {
    const item = await t.em.findOne(Item, { id: params.id });
    if (!item) throw ProblemError.notFound('the item');
    const analyses = await t.em.find(Analysis, { item: item.id });
    const pass1 = analyses.find((a) => a.pass === 1);
    const pass2 = analyses.find((a) => a.pass === 2);
    if (item.status !== 'analyzed' || !pass1 || !pass2) {
      throw new ProblemError(
        HttpStatus.CONFLICT,
        'not_analyzed',
        `the recall sheet is ready once the item is analyzed; it is ${item.status}${item.reason ? `: ${item.reason}` : ''}`,
      );
    }
    const sheet = buildRecallSheet(item.id, stored(pass1), stored(pass2));
    if (query.format === 'json') return sheet;
    void reply
      .header('content-type', CONTENT_TYPES[query.format])
      .header('content-disposition', `inline; filename="recall-sheet-${item.id}.${query.format === 'csv' ? 'csv' : 'txt'}"`);
    return query.format === 'csv' ? recallSheetCsv(sheet) : recallSheetText(sheet);
  }
}

function stored(a: Analysis): StoredAnalysis {
  return { schemaVersion: a.schemaVersion, model: a.model, promptVersion: a.promptVersion, output: a.output, details: a.details ?? null };
}
