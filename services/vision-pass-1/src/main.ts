import { runMain } from '@sessionpix/runtime';
import { visionPass1Service } from './vision-pass-1.service';

void runMain([visionPass1Service], { SESSIONPIX_SERVICES: 'vision-pass-1' });
