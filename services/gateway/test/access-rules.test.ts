import { Controller, Get } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { AccessRuleCheck } from '../src/auth/access-rule.check';
import { MinRole, Public } from '../src/auth/access';
import { deviceLabel, parseUserAgent } from '../src/auth/user-agent';

@Controller('v1/declared')
class DeclaredController {
  @Get()
  @MinRole('viewer')
  read(): string {
    return 'ok';
  }

  @Get('open')
  @Public()
  open(): string {
    return 'ok';
  }
}

@Controller('v1/forgotten')
class ForgottenController {
  @Get()
  read(): string {
    return 'ok';
  }
}

async function boot(controllers: (new () => unknown)[]): Promise<void> {
  const moduleRef = await Test.createTestingModule({
    imports: [DiscoveryModule],
    controllers,
    providers: [AccessRuleCheck],
  }).compile();
  try {
    await moduleRef.init();
  } finally {
    await moduleRef.close();
  }
}

describe('access rules', () => {
  it('P21: a process refuses to start when a route declares no access rule', async () => {
    await expect(boot([DeclaredController])).resolves.toBeUndefined();
    await expect(boot([DeclaredController, ForgottenController])).rejects.toThrow(
      /routes without @Public\(\), @SignedIn\(\) or @MinRole\(\): ForgottenController\.read/,
    );
  });
});

describe('device type and OS from the user agent', () => {
  const cases: [string, string][] = [
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
      'desktop · macOS · Safari',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
      'desktop · Windows · Edge',
    ],
    ['Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0', 'desktop · Linux · Firefox'],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0 Mobile/15E148 Safari/604.1',
      'mobile · iOS · Chrome',
    ],
    [
      'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      'tablet · iPadOS · Safari',
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36',
      'mobile · Android · Chrome',
    ],
    [
      'Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
      'tablet · Android · Chrome',
    ],
    ['Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36', 'desktop · ChromeOS · Chrome'],
    ['curl/8.5.0', 'other · other · cli'],
    ['Sessionpix/2.3.0 (iPhone; iOS 17.5)', 'mobile · iOS · sessionpix'],
    ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'bot · other · other'],
    ['', 'other · other · other'],
  ];
  it.each(cases)('P6: %s → %s', (ua, label) => {
    expect(deviceLabel(parseUserAgent(ua))).toBe(label);
  });
});
