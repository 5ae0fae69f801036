/**
 * Injected faults at network operations: `sim.intercept({ area: 'net', op, ... })` decides, this applies.
 */
import { EnvError } from '../../impl/env.ts';
import type { SimNode } from '../node.ts';
import type { NetCore } from './core.ts';

/** Outcome of consulting the fault interceptors for an operation. */
/** 'go' on, 'stop' here, or carry the operation out and then crash (with the fault's power-loss choice). */
export type FaultDecision = 'go' | 'stop' | { crashAfter: { powerLoss?: boolean } };

/**
 * Applies an injected fault to a network operation: throws an EnvError for 'error', crashes for 'crash';
 * a 'pause' lets the operation go (it takes effect as it is called; the node freezes after the call).
 */
export function decideFault(core: NetCore, node: SimNode, op: 'send' | 'datagram' | 'connect', target: string): FaultDecision {
  const action = core.fault(node, op, target);
  // A fault at this operation took the caller's device down (another node's crash with power loss): nothing
  // is sent or connected. (Its own crash is decided below: before, or after the operation.)
  if (node.status === 'down') return 'stop';
  if (action === null) return 'go';
  if (action.type === 'error') throw new EnvError(action.code, `injected fault at net.${op} to '${target}'`);
  if (action.type === 'pause') return 'go'; // the node froze (the injector paused it): it freezes after this call
  if (action.type === 'crash') {
    if (action.when === 'after') return { crashAfter: action };
    core.crash(node, action);
    return 'stop';
  }
  core.badAction(action, op);
  return 'stop';
}
