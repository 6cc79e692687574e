import { Body, Controller, Get, HttpCode, Inject, Patch, Post, Req, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ZodResponse } from 'nestjs-zod';
import { Public, SignedIn } from '../auth/access';
import { clearSessionCookies, cookie, REFRESH_COOKIE, SESSION_COOKIE, setSessionCookies } from '../auth/cookies';
import { IdentityProvider } from '../auth/identity/identity-provider';
import { CurrentUser, Meta, type Principal, type RequestMeta } from '../auth/tenant';
import { ProblemError } from '../http/problem';
import {
  AcceptedDto,
  ChangePasswordDto,
  MeDto,
  PasswordResetConfirmDto,
  PasswordResetRequestDto,
  RefreshDto,
  RefreshedDto,
  SessionDto,
  SignInDto,
  SignOutDto,
  SignUpDto,
  TokenDto,
  UpdateMeDto,
} from './account.schemas';
import { AccountsService } from './accounts.service';
import { Sessions, type SessionTokens } from './sessions.service';

function tokenBody(tokens: SessionTokens, delivery: 'cookie' | 'bearer') {
  const base = { accessTokenExpiresAt: tokens.accessTokenExpiresAt.toISOString() };
  if (delivery === 'cookie') return base;
  return {
    ...base,
    tokenType: 'Bearer' as const,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    refreshTokenExpiresAt: tokens.refreshTokenExpiresAt.toISOString(),
  };
}

/** Sign-up, sign-in and the rest of the built-in account flows (404 with Cognito). */
@ApiTags('auth')
@Controller('v1/auth')
export class AuthController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly sessions: Sessions,
    private readonly identity: IdentityProvider,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('sign-up')
  @Public()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Create an account and its first organization (you are its owner)',
    description:
      'Always 202, whether or not the address already has an account: a confirmation link (or, for an existing ' +
      'account, a note) goes to the address. Sign in once the address is confirmed.',
  })
  @ZodResponse({ status: 202, type: AcceptedDto })
  async signUp(@Body() body: SignUpDto, @Meta() meta: RequestMeta) {
    await this.accounts.signUp(body, meta);
    return { status: 'accepted' as const, detail: 'check your inbox: we sent a link to confirm the address' };
  }

  @Post('confirm-email')
  @Public()
  @HttpCode(204)
  @ApiOperation({ summary: 'Confirm an e-mail address with the token from the link (single use)' })
  @ApiNoContentResponse({ description: 'Confirmed.' })
  async confirmEmail(@Body() body: TokenDto, @Meta() meta: RequestMeta): Promise<void> {
    await this.accounts.confirmEmail(body.token, meta);
  }

  @Post('sign-in')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in with e-mail and password',
    description:
      'A wrong password, an unknown address and an unconfirmed address get the same 401. With `session: "cookie"` ' +
      '(the default) the session is set in HttpOnly cookies; with `"bearer"` the tokens are in the body.',
  })
  @ZodResponse({ status: 200, type: SessionDto })
  async signIn(@Body() body: SignInDto, @Meta() meta: RequestMeta, @Res({ passthrough: true }) reply: FastifyReply) {
    const { me, tokens } = await this.accounts.signIn(body, meta);
    if (body.session === 'cookie') setSessionCookies(reply, tokens, this.config);
    return { user: me, ...tokenBody(tokens, body.session) };
  }

  @Post('refresh')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Exchange a refresh token for a new access and refresh token (the old one is spent)',
    description: 'Presenting a refresh token that was already used ends the whole sign-in (every token of it).',
  })
  @ZodResponse({ status: 200, type: RefreshedDto })
  async refresh(
    @Body() body: RefreshDto,
    @Req() request: FastifyRequest,
    @Meta() meta: RequestMeta,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const fromCookie = body?.refreshToken ? undefined : cookie(request, REFRESH_COOKIE);
    const raw = body?.refreshToken ?? fromCookie;
    if (!raw) throw ProblemError.unauthorized('send the refresh token (in the body, or the web’s refresh cookie)');
    try {
      const tokens = await this.accounts.refresh(raw, meta);
      if (fromCookie) setSessionCookies(reply, tokens, this.config);
      return tokenBody(tokens, fromCookie ? 'cookie' : 'bearer');
    } catch (err) {
      if (fromCookie && err instanceof ProblemError && err.status === 401) clearSessionCookies(reply);
      throw err;
    }
  }

  @Post('sign-out')
  @Public()
  @HttpCode(204)
  @ApiOperation({ summary: 'End this sign-in (its refresh and access tokens stop working) and clear the cookies' })
  @ApiNoContentResponse({ description: 'Signed out (also when there was nothing to end).' })
  async signOut(
    @Body() body: SignOutDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    clearSessionCookies(reply);
    if (this.identity.kind !== 'builtin') return;
    const refresh = body?.refreshToken ?? cookie(request, REFRESH_COOKIE);
    let sessionId = refresh ? await this.sessions.sessionOfRefreshToken(refresh) : null;
    if (!sessionId) {
      const header = request.headers.authorization;
      const access = header?.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : cookie(request, SESSION_COOKIE);
      if (access && !access.startsWith('spx_')) {
        sessionId = await this.identity.authenticate(access).then(
          (v) => v.sessionId,
          () => null,
        );
      }
    }
    await this.accounts.signOut(sessionId);
  }

  @Post('password-reset')
  @Public()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Ask for a password reset link by e-mail',
    description: 'Always 202: the answer does not tell whether the address has an account.',
  })
  @ZodResponse({ status: 202, type: AcceptedDto })
  async requestReset(@Body() body: PasswordResetRequestDto, @Meta() meta: RequestMeta) {
    await this.accounts.requestPasswordReset(body.email, meta);
    return { status: 'accepted' as const, detail: 'if the address has an account, a reset link is on its way' };
  }

  @Post('password-reset/confirm')
  @Public()
  @HttpCode(204)
  @ApiOperation({ summary: 'Set a new password with the token from the reset link (ends every sign-in)' })
  @ApiNoContentResponse({ description: 'Password changed.' })
  async resetPassword(@Body() body: PasswordResetConfirmDto, @Meta() meta: RequestMeta): Promise<void> {
    await this.accounts.resetPassword(body.token, body.newPassword, meta);
  }
}

/** P15: the signed-in user's own profile: access and correction. */
@ApiTags('me')
@Controller('v1/me')
export class MeController {
  constructor(private readonly accounts: AccountsService) {}

  @Get()
  @SignedIn()
  @ApiOperation({ summary: 'Your profile and your organizations with your role in each' })
  @ZodResponse({ status: 200, type: MeDto })
  get(@CurrentUser() user: Principal) {
    return this.accounts.me(user.userId);
  }

  @Patch()
  @SignedIn()
  @ApiOperation({ summary: 'Correct your name or e-mail address (a new address is confirmed by e-mail)' })
  @ZodResponse({ status: 200, type: MeDto })
  update(@CurrentUser() user: Principal, @Body() body: UpdateMeDto) {
    return this.accounts.updateMe(user, body);
  }

  @Post('password')
  @SignedIn()
  @HttpCode(204)
  @ApiOperation({ summary: 'Change your password (your other sign-ins end; an alert goes to your address)' })
  @ApiNoContentResponse({ description: 'Password changed.' })
  async changePassword(@CurrentUser() user: Principal, @Body() body: ChangePasswordDto): Promise<void> {
    await this.accounts.changePassword(user, body.currentPassword, body.newPassword);
  }
}
