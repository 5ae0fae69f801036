/**
 * Former path of the peer checks, kept only while scenarios/peer/_common.ts still imports it (that file is
 * being edited on another branch): import from './index.ts' (the list) or the checker's own file instead.
 * Delete once nothing imports it.
 */
export { peerChecks, type PeerCheckOptions } from './index.ts';
