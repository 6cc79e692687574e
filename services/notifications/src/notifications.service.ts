import type { ServiceDefinition } from '@sessionpix/runtime';
import { NotificationsModule } from './notifications.module';

export const notificationsService: ServiceDefinition = { name: 'notifications', module: NotificationsModule };
