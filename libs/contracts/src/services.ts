export const SERVICE_NAMES = [
  'gateway',
  'ingest',
  'vision-pass-1',
  'vision-pass-2',
  'billing',
  'notifications',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
