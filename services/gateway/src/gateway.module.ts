import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE, DiscoveryModule } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { StorageModule } from '@sessionpix/storage';
import { ZodSerializerInterceptor, ZodValidationPipe } from 'nestjs-zod';
import { AccountsService } from './accounts/accounts.service';
import { AuthController, MeController } from './accounts/accounts.controller';
import { EmailLinks } from './accounts/email-links';
import { Sessions } from './accounts/sessions.service';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { AuditLogController } from './audit/audit.controller';
import { BillingClient } from './billing/billing-client';
import { BillingAdminController, BillingController } from './billing/billing.controller';
import { StripeWebhooks } from './billing/webhooks';
import { AccessGuard } from './auth/access.guard';
import { AccessRuleCheck } from './auth/access-rule.check';
import { AccessTokens } from './auth/identity/access-tokens';
import { BuiltinIdentityProvider } from './auth/identity/builtin.provider';
import { CognitoIdentityProvider } from './auth/identity/cognito.provider';
import { IdentityProvider } from './auth/identity/identity-provider';
import { PasswordHasher } from './auth/passwords';
import { RateLimiter } from './auth/rate-limiter';
import { CollectionsController } from './collections/collections.controller';
import { CollectionsService } from './collections/collections.service';
import { OpenApiController } from './http/openapi.controller';
import { OPENAPI_DOCUMENT, type OpenApiHolder } from './http/openapi.holder';
import { ProblemDetailsFilter } from './http/problem.filter';
import { CollectionEventsController } from './items/events.controller';
import { ItemViews } from './items/item-view';
import { ItemsController } from './items/items.controller';
import { RecallSheetController } from './items/recall-sheet.controller';
import { ItemsService } from './items/items.service';
import { EmailPreferencesController, SesEventsController, UnsubscribeController } from './notifications/email.controller';
import { SesEvents } from './notifications/ses-events.service';
import { SnsVerifier } from './notifications/sns-verifier';
import { UploadsService } from './items/uploads.service';
import { OrgsController } from './orgs/orgs.controller';
import { OrgsService } from './orgs/orgs.service';
import { UsageLog } from './usage/usage-log';
import { ModelSpendController } from './usage/model-spend.controller';
import { ApiKeyCache } from './auth/api-key-cache';

@Module({
  imports: [StorageModule, DiscoveryModule],
  controllers: [
    AuthController,
    MeController,
    OrgsController,
    ApiKeysController,
    AuditLogController,
    CollectionsController,
    ItemsController,
    CollectionEventsController,
    RecallSheetController,
    ModelSpendController,
    OpenApiController,
    BillingController,
    BillingAdminController,
    EmailPreferencesController,
    UnsubscribeController,
    SesEventsController,
  ],
  providers: [
    ApiKeyCache,
    CollectionsService,
    ItemsService,
    UploadsService,
    ItemViews,
    AccountsService,
    Sessions,
    EmailLinks,
    OrgsService,
    PasswordHasher,
    RateLimiter,
    AccessTokens,
    BuiltinIdentityProvider,
    CognitoIdentityProvider,
    {
      // One interface, two implementations: IDENTITY_PROVIDER picks.
      provide: IdentityProvider,
      inject: [APP_CONFIG, BuiltinIdentityProvider, CognitoIdentityProvider],
      useFactory: (config: AppConfig, builtin: BuiltinIdentityProvider, cognito: CognitoIdentityProvider) =>
        config.IDENTITY_PROVIDER === 'cognito' ? cognito : builtin,
    },
    UsageLog,
    AccessRuleCheck,
    BillingClient,
    StripeWebhooks,
    SnsVerifier,
    SesEvents,
    { provide: OPENAPI_DOCUMENT, useValue: { document: null } satisfies OpenApiHolder },
    { provide: APP_GUARD, useClass: AccessGuard },
    { provide: APP_PIPE, useClass: ZodValidationPipe },
    { provide: APP_INTERCEPTOR, useClass: ZodSerializerInterceptor },
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
  ],
})
export class GatewayModule {}
