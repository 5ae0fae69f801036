/**
 * Rare paths the client-server sync marks with probes ("sometimes" assertions). The client-server
 * scenarios declare this list, so the coverage report shows each with its hit count and flags the ones a
 * sweep never reached. Every `trace.probe('...')` literal under src/impl/clientserver is listed here.
 */
export const CS_PROBES = [
  'cs.meta-unreachable', // the meta channel did not answer: the client relies on the in-protocol handshake alone
  'cs.meta-mismatch', // the meta channel already showed a rebuilt or upgraded server
  'cs.push-duplicate', // the server received changes it already had (a resend after a lost ACK): skipped
  'cs.push-gap', // the server refused changes past a gap in a client's versions (only a weakened client makes one)
  'cs.ack-behind', // a handshake acknowledged less than the client had recorded (nothing lost: resent)
  'cs.stale-close', // no ping answered recently: the client closed a silent connection
  'cs.relay-gap', // a live relay found a session behind the log: it caught up by reading the log
  'cs.nuke-pushed', // Nuke and Resync pushed pending changes before wiping
  'cs.nuke-exported', // Nuke and Resync kept changes the server did not take, and reported them
  'cs.cells-damaged', // a client found cells damaged at rest when it loaded its database: replaced from its change log and the server's
] as const;
