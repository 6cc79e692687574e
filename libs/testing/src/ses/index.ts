export { startSesStandin, headerOf, type SesStandin, type SesStandinOptions, type StoredEmail } from './standin';
export { startSesFaultProxy, type SesFault, type SesFaultProxy, type SesProxyRequest } from './fault-proxy';
