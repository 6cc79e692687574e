import { Body, Controller, Get, Headers, HttpCode, HttpStatus, Inject, Logger, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import {
  EMAIL_CATEGORIES,
  EMAIL_CATEGORY_KIND,
  type EmailCategory,
  OPTIONAL_EMAIL_CATEGORIES,
  type OptionalEmailCategory,
} from '@sessionpix/contracts';
import { emForSystem, MikroORM, optedOutCategories, setEmailPreferences, verifyUnsubscribeToken } from '@sessionpix/db';
import type { FastifyReply } from 'fastify';
import { createZodDto, ZodResponse } from 'nestjs-zod';
import { z } from 'zod';
import { Public, SignedIn } from '../auth/access';
import { CurrentUser, type Principal } from '../auth/tenant';
import { ProblemError } from '../http/problem';
import { SesEvents } from './ses-events.service';
import { SnsVerificationError, SnsVerifier } from './sns-verifier';

const DESCRIPTIONS: Record<EmailCategory, string> = {
  account: 'Confirming your address, password resets, invitations, exports, account deletion.',
  security: 'Alerts about sign-ins and password changes.',
  billing: 'Receipts, failed payments, plan limits.',
  legal: 'Material changes to the privacy policy (P22).',
  activity: 'When a batch of photos has its results.',
  announcement: 'News about sessionpix.',
};

const preferencesSchema = z.object({
  categories: z.array(
    z.object({
      category: z.enum(EMAIL_CATEGORIES),
      kind: z.enum(['essential', 'optional']).describe('Essential e-mail is always sent; optional e-mail can be turned off.'),
      subscribed: z.boolean(),
      description: z.string(),
    }),
  ),
});

const essentialOn = z.literal(true, { message: 'essential e-mail cannot be turned off; only optional categories can' });
const updatePreferencesSchema = z
  .strictObject(
    Object.fromEntries(
      EMAIL_CATEGORIES.map((c) => [c, EMAIL_CATEGORY_KIND[c] === 'optional' ? z.boolean().optional() : essentialOn.optional()]),
    ) as Record<EmailCategory, z.ZodOptional<z.ZodBoolean> | z.ZodOptional<typeof essentialOn>>,
  )
  .describe('Categories to turn on (true) or off (false); the others stay as they are. Essential categories are always on.');

const unsubscribedSchema = z.object({
  unsubscribed: z.enum(OPTIONAL_EMAIL_CATEGORIES as [OptionalEmailCategory, ...OptionalEmailCategory[]]),
  detail: z.string(),
});

const tokenQuerySchema = z.object({ token: z.string().min(1, 'is required').max(300, 'is too long') });
const sesEventsAnswerSchema = z.object({ type: z.string(), suppressed: z.number().int() });

class EmailPreferencesDto extends createZodDto(preferencesSchema) {}
class UpdateEmailPreferencesDto extends createZodDto(updatePreferencesSchema) {}
class UnsubscribedDto extends createZodDto(unsubscribedSchema) {}
class TokenQueryDto extends createZodDto(tokenQuerySchema) {}
class SesEventsAnswerDto extends createZodDto(sesEventsAnswerSchema) {}

const LABELS: Record<OptionalEmailCategory, string> = { activity: 'activity update', announcement: 'product news' };

function invalidLink(): ProblemError {
  return new ProblemError(HttpStatus.BAD_REQUEST, 'invalid_token', 'the unsubscribe link is not valid (was it cut short?)', [
    { field: 'token', message: 'is not a valid unsubscribe token' },
  ]);
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A page for people who click the link in an e-mail: no script, no cookie, nothing remote (P9, P18). */
function page(reply: FastifyReply, status: number, title: string, body: string): string {
  void reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
    .header('cache-control', 'no-store');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head><body style="font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1d1d1b;"><h1 style="font-size:1.25rem;">${escapeHtml(title)}</h1>${body}</body></html>`;
}

async function currentPreferences(orm: MikroORM, userId: string) {
  const off = await optedOutCategories(emForSystem(orm), userId);
  return {
    categories: EMAIL_CATEGORIES.map((category) => ({
      category,
      kind: EMAIL_CATEGORY_KIND[category],
      subscribed: EMAIL_CATEGORY_KIND[category] === 'essential' || !(off as string[]).includes(category),
      description: DESCRIPTIONS[category],
    })),
  };
}

/** P15: e-mail opt-out for the signed-in user. Essential e-mail (account, security, billing, legal) is always sent. */
@ApiTags('me')
@Controller('v1/me/email-preferences')
export class EmailPreferencesController {
  constructor(@Inject(MikroORM) private readonly orm: MikroORM) {}

  @Get()
  @SignedIn()
  @ApiOperation({ summary: 'Which e-mail you get: every category, essential or optional, and whether it is on' })
  @ZodResponse({ status: 200, type: EmailPreferencesDto })
  get(@CurrentUser() user: Principal) {
    return currentPreferences(this.orm, user.userId);
  }

  @Put()
  @SignedIn()
  @ApiOperation({
    summary: 'Turn optional e-mail categories on or off (P15)',
    description: 'Only the categories named change. Turning an essential category off is a 400.',
  })
  @ZodResponse({ status: 200, type: EmailPreferencesDto })
  async update(@CurrentUser() user: Principal, @Body() body: UpdateEmailPreferencesDto) {
    const changes: Partial<Record<OptionalEmailCategory, boolean>> = {};
    for (const category of OPTIONAL_EMAIL_CATEGORIES) {
      const value = (body as Record<string, boolean | undefined>)[category];
      if (value !== undefined) changes[category] = value;
    }
    await setEmailPreferences(emForSystem(this.orm), user.userId, changes);
    return currentPreferences(this.orm, user.userId);
  }
}

/**
 * P15: one-click unsubscribe without signing in. Optional e-mails carry
 * `List-Unsubscribe: <…/v1/email/unsubscribe?token=…>` and `List-Unsubscribe-Post:
 * List-Unsubscribe=One-Click` (RFC 8058): mail clients POST to the link. A person who opens it
 * gets a page with a button that POSTs; a GET changes nothing (link scanners open links).
 */
@ApiTags('email')
@Controller('v1/email/unsubscribe')
export class UnsubscribeController {
  private readonly log = new Logger('Unsubscribe');

  constructor(
    @Inject(MikroORM) private readonly orm: MikroORM,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'A page that asks to confirm the unsubscribe (changes nothing by itself)' })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'An HTML page with a button that POSTs to this URL.' })
  confirmPage(@Query() query: TokenQueryDto, @Res({ passthrough: true }) reply: FastifyReply): string {
    const claim = verifyUnsubscribeToken(this.config.emailUnsubscribeSecret, query.token);
    if (!claim) {
      return page(reply, 400, 'This link does not work', `<p>The unsubscribe link is not valid. Was it cut short? You can also write to <a href="mailto:${escapeHtml(this.config.SUPPORT_EMAIL)}">${escapeHtml(this.config.SUPPORT_EMAIL)}</a>.</p>`);
    }
    const action = `?token=${encodeURIComponent(query.token)}`;
    return page(
      reply,
      200,
      `Unsubscribe from ${LABELS[claim.category]} e-mails?`,
      `<p>You will no longer get ${escapeHtml(LABELS[claim.category])} e-mails from sessionpix. E-mail about your account, its security, billing and policy changes still comes.</p><form method="post" action="${escapeHtml(action)}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit" style="padding:.5rem 1rem;">Unsubscribe</button></form>`,
    );
  }

  @Post()
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'One-click unsubscribe (RFC 8058) from the optional category the link names',
    description: 'Mail clients POST `List-Unsubscribe=One-Click`; any body is accepted. Repeating it is harmless.',
  })
  @ApiQuery({ name: 'token', required: true, description: 'From the link in the e-mail.' })
  @ApiOkResponse({ type: UnsubscribedDto, description: 'JSON; a page when the request accepts text/html (the button above).' })
  async unsubscribe(
    @Query() query: TokenQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const claim = verifyUnsubscribeToken(this.config.emailUnsubscribeSecret, query.token);
    if (!claim) throw invalidLink();
    try {
      await setEmailPreferences(emForSystem(this.orm), claim.userId, { [claim.category]: false });
    } catch (err) {
      // The account is gone (nothing to send to any more): the answer is the same.
      this.log.warn(`unsubscribe for a user that no longer exists: ${String(err)}`);
    }
    const detail = `you will no longer get ${LABELS[claim.category]} e-mails`;
    if (accept?.includes('text/html')) {
      // A person pressed the button on the page above.
      return page(reply, 200, 'You are unsubscribed', `<p>You will no longer get ${escapeHtml(LABELS[claim.category])} e-mails from sessionpix.</p>`);
    }
    return unsubscribedSchema.parse({ unsubscribed: claim.category, detail });
  }
}

/**
 * SES bounce and complaint events, delivered by SNS. Nothing acts on a message until its
 * signature, certificate host and topic check out; anything else is a 400 and changes nothing.
 */
@ApiTags('email')
@Controller('v1/notifications/ses-events')
export class SesEventsController {
  private readonly log = new Logger('SesEventsWebhook');

  constructor(
    private readonly verifier: SnsVerifier,
    private readonly events: SesEvents,
  ) {}

  @Post()
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Receive SES events through SNS (bounces and complaints suppress the address)',
    description:
      'The SNS message signature (SignatureVersion 1 or 2) is verified with the certificate from ' +
      'sns.<region>.amazonaws.com, and the topic must be one of SES_EVENTS_TOPIC_ARNS; a subscription ' +
      'confirmation is confirmed by fetching its SubscribeURL on that host only.',
  })
  @ApiBody({ description: 'An SNS HTTP(S) message (SNS sends it as text/plain JSON).', schema: { type: 'object' } })
  @ZodResponse({ status: 200, type: SesEventsAnswerDto })
  async receive(@Body() body: unknown) {
    try {
      return await this.handle(body);
    } catch (err) {
      if (err instanceof SnsVerificationError) {
        this.log.warn(`refused an SNS message: ${err.code}: ${err.message}`);
        throw new ProblemError(HttpStatus.BAD_REQUEST, err.code, err.message);
      }
      throw err;
    }
  }

  private async handle(body: unknown) {
    const message = this.verifier.parse(body);
    await this.verifier.verify(message);
    if (message.Type === 'SubscriptionConfirmation') {
      await this.verifier.confirmSubscription(message);
      this.log.log(`confirmed the SNS subscription to ${message.TopicArn}`);
      return { type: 'SubscriptionConfirmation', suppressed: 0 };
    }
    if (message.Type === 'UnsubscribeConfirmation') {
      this.log.warn(`SNS says the subscription to ${message.TopicArn} ended`);
      return { type: 'UnsubscribeConfirmation', suppressed: 0 };
    }
    return this.events.apply(message.Message);
  }
}
