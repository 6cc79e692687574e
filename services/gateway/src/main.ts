import { runMain } from '@sessionpix/runtime';
import { gatewayService } from './gateway.service';

void runMain([gatewayService], { SESSIONPIX_SERVICES: 'gateway' });
