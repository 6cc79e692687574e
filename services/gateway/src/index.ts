export { gatewayService } from './gateway.service';
export { GatewayModule } from './gateway.module';
export { issueApiKey, parseApiKey, hashSecret, type IssuedApiKey } from './auth/api-key';
