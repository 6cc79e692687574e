import { runMain } from '@sessionpix/runtime';
import { notificationsService } from './notifications.service';

void runMain([notificationsService], { SESSIONPIX_SERVICES: 'notifications' });
