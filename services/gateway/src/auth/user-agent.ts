/**
 * Device type, OS and browser family from a User-Agent header, for the usage log (P6) and the
 * new-device alert (P7). Deliberately coarse: families, never versions or a raw string.
 */
export interface DeviceInfo {
  deviceType: 'desktop' | 'mobile' | 'tablet' | 'bot' | 'other';
  os: 'iOS' | 'iPadOS' | 'Android' | 'Windows' | 'macOS' | 'ChromeOS' | 'Linux' | 'other';
  browser: 'Edge' | 'Opera' | 'Chrome' | 'Firefox' | 'Safari' | 'sessionpix' | 'cli' | 'other';
}

const BOT = /bot\b|crawler|spider|slurp|headless|lighthouse|preview/i;
const CLI = /^(curl|wget|httpie|python-requests|python-urllib|go-http-client|okhttp|axios|node-fetch|undici|node|postmanruntime|insomnia)\b/i;

function osOf(ua: string): DeviceInfo['os'] {
  if (/iPad/.test(ua)) return 'iPadOS';
  if (/iPhone|iPod|\biOS\b/.test(ua)) return 'iOS';
  if (/Android/i.test(ua)) return 'Android';
  if (/CrOS/.test(ua)) return 'ChromeOS';
  if (/Windows/i.test(ua)) return 'Windows';
  // iPadOS 13+ Safari claims to be a Mac; a touch-capable Mac is told apart only by clients.
  if (/Mac OS X|Macintosh|macOS|Darwin/i.test(ua)) return 'macOS';
  if (/Linux|X11|Ubuntu|Fedora/i.test(ua)) return 'Linux';
  return 'other';
}

function browserOf(ua: string): DeviceInfo['browser'] {
  if (/sessionpix/i.test(ua)) return 'sessionpix';
  if (CLI.test(ua)) return 'cli';
  if (/Edg(e|A|iOS)?\//.test(ua)) return 'Edge';
  if (/OPR\/|Opera/.test(ua)) return 'Opera';
  if (/Firefox\/|FxiOS\//.test(ua)) return 'Firefox';
  if (/Chrome\/|CriOS\/|Chromium\//.test(ua)) return 'Chrome';
  if (/Safari\//.test(ua) && /Version\//.test(ua)) return 'Safari';
  return 'other';
}

function deviceTypeOf(ua: string, os: DeviceInfo['os'], browser: DeviceInfo['browser']): DeviceInfo['deviceType'] {
  if (BOT.test(ua)) return 'bot';
  if (os === 'iPadOS' || /Tablet|Kindle|Silk\//i.test(ua) || (os === 'Android' && !/Mobile/i.test(ua))) return 'tablet';
  if (os === 'iOS' || /Mobile|Android/i.test(ua)) return 'mobile';
  if (os === 'Windows' || os === 'macOS' || os === 'Linux' || os === 'ChromeOS') return 'desktop';
  if (browser === 'cli') return 'other';
  return 'other';
}

export function parseUserAgent(userAgent: string | null | undefined): DeviceInfo {
  const ua = (userAgent ?? '').slice(0, 512);
  if (!ua) return { deviceType: 'other', os: 'other', browser: 'other' };
  const os = osOf(ua);
  const browser = browserOf(ua);
  return { deviceType: deviceTypeOf(ua, os, browser), os, browser };
}

/** "desktop · macOS · Safari": what a person sees in an alert or a session list. */
export function deviceLabel(info: DeviceInfo): string {
  return `${info.deviceType} · ${info.os} · ${info.browser}`;
}
