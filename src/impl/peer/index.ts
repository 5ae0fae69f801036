/** Public surface of the leaderless hybrid peer sync implementation. */
export { startPeerNode, type PeerHandle } from './node.ts';
export { builtInPeerNode, startPlugged, PeerSeamError, PEER_NODE_METHODS, type PeerNode, type PeerNodeFactory } from './seam.ts';
export { resolvePeerOptions, type PeerOptions, type PeerConfig } from './options.ts';
export { HlcClock, HlcDriftError, compareHlc, formatHlc, parseHlc, type Hlc, type HybridClock, type HybridClockFactory } from './hlc.ts';
export { validateMessage, encodeMessage, WIRE_LIMITS, type PeerMessage, type ResourceKind } from './messages.ts';
export { RecordTable, compareKey, wins, type SyncRecord, type Cursor } from './records.ts';
export { PEER_VARIANTS, type PeerVariant } from './variants.ts';
export { PEER_PROBES } from './probes.ts';
export type { WriteItem } from './transactions.ts';
export type { SyncState } from './core.ts';
export type { Progress } from './backfill.ts';
export type { PeerLinkState } from './links.ts';
export { METRICS_STORE } from './store.ts';
export type { MetricsCounters, MetricsSnapshot, StoredSnapshot } from './metrics.ts';
