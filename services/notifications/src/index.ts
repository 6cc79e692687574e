export { notificationsService } from './notifications.service';
export { NotificationsModule } from './notifications.module';
export { renderEmail, TemplateError, TEMPLATE_CATALOG, TEMPLATE_DIR, type RenderedEmail, type RenderContext } from './templates';
export { classifySesError, createSesClient, SesMailer, type SendFailure } from './ses';
export { SendRateLimiter } from './send-rate';
export {
  BROADCAST_BATCH,
  BROADCAST_WINDOW,
  broadcastProgress,
  pauseBroadcast,
  resumeBroadcast,
  startBroadcast,
  type BroadcastProgress,
} from './broadcasts';
export { EmailOperations, type InDoubtEmail } from './operations';
