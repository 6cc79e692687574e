export { notificationsService } from './notifications.service';
export { NotificationsModule } from './notifications.module';
