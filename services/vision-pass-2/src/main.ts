import { runMain } from '@sessionpix/runtime';
import { visionPass2Service } from './vision-pass-2.service';

void runMain([visionPass2Service], { SESSIONPIX_SERVICES: 'vision-pass-2' });
