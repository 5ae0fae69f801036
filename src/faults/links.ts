/**
 * Link faults that end: the injector's ledger of what it changed on which directed link.
 *
 * The network's setters only override; they cannot say "undo my change". So, per directed link, the
 * ledger remembers the settings the link had before its first linkFaults (its baseline) and the patches
 * currently active on it, in order. After any change the link is set to baseline + active patches, so
 * overlapping faults on one link end in any order, and the last one to end restores the baseline.
 * "Every link" is applied link by link (never through the network's default), so a baseline read is
 * never polluted by one of our own patches.
 */
import type { LinkFaults, SimNetwork } from '../sim/net/network.ts';
import type { LinkFaultsFault } from './plan.ts';

/** A patch: the link fields one event sets. */
type Patch = Partial<LinkFaults>;

/** Handle of an applied linkFaults event, for `revert`. */
export type LinkToken = number;

/** The link fields of an event (only those it sets). */
export function patchOf(e: LinkFaultsFault): Patch {
  const p: Patch = {};
  if (e.latencyMs !== undefined) p.latencyMs = e.latencyMs;
  if (e.jitterMs !== undefined) p.jitterMs = e.jitterMs;
  if (e.tailProbability !== undefined) p.tailProbability = e.tailProbability;
  if (e.tailMs !== undefined) p.tailMs = e.tailMs;
  if (e.lossRate !== undefined) p.lossRate = e.lossRate;
  if (e.dupRate !== undefined) p.dupRate = e.dupRate;
  if (e.reorderRate !== undefined) p.reorderRate = e.reorderRate;
  return p;
}

/** Directed links an event covers: one link, all out of `from`, all into `to`, or all of them. */
export function linksOf(e: LinkFaultsFault, nodes: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (const from of nodes) {
    if (e.from !== undefined && from !== e.from) continue;
    for (const to of nodes) {
      if (to === from || (e.to !== undefined && to !== e.to)) continue;
      out.push([from, to]);
    }
  }
  return out;
}

interface LinkState {
  from: string;
  to: string;
  baseline: LinkFaults;
  active: { token: LinkToken; patch: Patch }[];
}

/** Active link patches of one injector. */
export class LinkLedger {
  private readonly links = new Map<string, LinkState>();
  private readonly tokens = new Map<LinkToken, string[]>();
  private nextToken = 1;

  constructor(
    private readonly net: SimNetwork,
    private readonly nodes: readonly string[],
  ) {}

  /** Applies an event's patch to its links; returns a token for `revert`. */
  apply(e: LinkFaultsFault): LinkToken {
    const token = this.nextToken++;
    const patch = patchOf(e);
    const keys: string[] = [];
    for (const [from, to] of linksOf(e, this.nodes)) {
      const key = `${from}>${to}`;
      let state = this.links.get(key);
      if (state === undefined) {
        state = { from, to, baseline: this.net.linkFaults(from, to), active: [] };
        this.links.set(key, state);
      }
      state.active.push({ token, patch });
      this.write(state);
      keys.push(key);
    }
    this.tokens.set(token, keys);
    return token;
  }

  /** Ends one event's patch (nothing if already reverted). */
  revert(token: LinkToken): void {
    const keys = this.tokens.get(token);
    if (keys === undefined) return;
    this.tokens.delete(token);
    for (const key of keys) {
      const state = this.links.get(key)!;
      state.active = state.active.filter((a) => a.token !== token);
      this.write(state);
      if (state.active.length === 0) this.links.delete(key);
    }
  }

  /** Ends every patch: every touched link is back to its baseline. */
  revertAll(): void {
    for (const state of this.links.values()) {
      state.active = [];
      this.write(state);
    }
    this.links.clear();
    this.tokens.clear();
  }

  /** Links with an active patch (for tests). */
  activeLinks(): number {
    return this.links.size;
  }

  private write(state: LinkState): void {
    const settings: LinkFaults = { ...state.baseline };
    for (const a of state.active) Object.assign(settings, a.patch);
    this.net.setLink(state.from, state.to, settings);
  }
}
