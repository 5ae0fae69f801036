/**
 * The reference model of one tab in the leader election (any mode, any implementation that reports the
 * documented `election.*` steps). Finite: transitions depend only on (state, event type).
 *
 *   down --START--> follower --CAMPAIGN--> candidate --ACQUIRED--> fencing --LEADER--> leader
 *   candidate --LOST--> follower;  fencing/leader --STEP_DOWN--> steppingDown --FOLLOWER--> follower
 *   any state --DOWN--> down (crash or close of the tab's process)
 *
 * What it forbids, among others: writing as leader (WRITE) anywhere but in `leader`; leading without
 * having acquired an epoch and fenced the store first; renewing a lease one does not hold; becoming
 * follower without stepping down first.
 */
import { setup } from 'xstate';

/** Event types of the per-tab model. */
export type TabModelEvent =
  | { type: 'START' }
  | { type: 'DOWN' }
  | { type: 'CAMPAIGN' }
  | { type: 'LOST' }
  | { type: 'ACQUIRED' }
  | { type: 'LEADER' }
  | { type: 'RENEWED' }
  | { type: 'WRITE' }
  | { type: 'STEP_DOWN' }
  | { type: 'FOLLOWER' }
  | { type: 'SEEN' };

/** The per-tab election machine. */
export const tabElectionMachine = setup({ types: { events: {} as TabModelEvent } }).createMachine({
  id: 'election',
  initial: 'down',
  states: {
    down: { on: { START: 'follower' } },
    follower: { on: { CAMPAIGN: 'candidate', SEEN: 'follower', DOWN: 'down' } },
    candidate: { on: { CAMPAIGN: 'candidate', LOST: 'follower', ACQUIRED: 'fencing', SEEN: 'candidate', DOWN: 'down' } },
    fencing: { on: { LEADER: 'leader', STEP_DOWN: 'steppingDown', SEEN: 'fencing', DOWN: 'down' } },
    leader: { on: { RENEWED: 'leader', WRITE: 'leader', SEEN: 'leader', STEP_DOWN: 'steppingDown', DOWN: 'down' } },
    steppingDown: { on: { FOLLOWER: 'follower', SEEN: 'steppingDown', DOWN: 'down' } },
  },
});
