import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';

/**
 * Links for e-mails, under WEB_APP_URL. A token goes in the fragment (`#token=`), which
 * browsers never send to a server, so it cannot end up in an access log on the way.
 */
@Injectable()
export class EmailLinks {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  private url(path: string, token?: string): string {
    const base = new URL(path, this.config.WEB_APP_URL.endsWith('/') ? this.config.WEB_APP_URL : `${this.config.WEB_APP_URL}/`);
    if (token) base.hash = `token=${token}`;
    return base.toString();
  }

  confirmEmail(token: string): string {
    return this.url('confirm-email', token);
  }

  resetPassword(token?: string): string {
    return this.url('reset-password', token);
  }

  join(token: string): string {
    return this.url('join', token);
  }

  signIn(): string {
    return this.url('sign-in');
  }
}
