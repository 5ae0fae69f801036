/** Public surface of the client-server sync implementation (the Librocco system, docs/client-server.md). */
export { startServer, type ServerHandle, type ServerRow } from './server.ts';
export { digestCells } from './digest.ts';
export { startClient, type ClientHandle } from './client.ts';
export { startMeta, fetchMeta } from './meta.ts';
export { resolveClientOptions, resolveServerOptions, type ClientOptions, type ServerOptions } from './options.ts';
export { decodeMessage, wins, changeBytes, type Change, type LoggedChange, type CsMessage } from './messages.ts';
export { statusOf, isGreen, STATUSES, type StatusView, type SyncStatus } from './status.ts';
export type { Progress } from './progress.ts';
export { CS_VARIANTS, type CsVariant } from './variants.ts';
export { CS_PROBES } from './probes.ts';
