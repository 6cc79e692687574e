export { gatewayService } from './gateway.service';
export { GatewayModule } from './gateway.module';
export { issueApiKey, parseApiKey, hashSecret, type IssuedApiKey } from './auth/api-key';
export { API_KEY_ROLES, type ApiKeyRole } from '@sessionpix/contracts';
export { PasswordHasher } from './auth/passwords';
export { CognitoIdentityProvider } from './auth/identity/cognito.provider';
export { UsageLog } from './usage/usage-log';
export { RateLimiter } from './auth/rate-limiter';
export { announceApiKeyRevocationTo } from './auth/api-key-cache';
