/**
 * The tab bus of one device: a BroadcastChannel-like message bus between the tabs (nodes) of a device.
 *
 * Semantics (what an implementation may rely on, and nothing more):
 * - `post(channel, message)` delivers a deep copy to every OTHER live tab that had a subscription to the
 *   channel when the message was posted and still has it when the message is handled (as a browser's
 *   BroadcastChannel: an object created after postMessage does not receive it, one closed before
 *   dispatch does not either). The sender never receives its own message.
 * - Delivery takes a seeded latency (stream `bus/<device>`), FIFO per (sender, receiver) pair; there is
 *   no order between different senders.
 * - A frozen (paused) tab receives its queue on resume, in order. A crashed tab loses its queue and its
 *   subscriptions; after a restart it has none until it subscribes again. A dead incarnation can neither
 *   post nor subscribe.
 * - Bounded: at most `queueLengthMax` messages in flight or queued per receiver and `subscriptionsMax`
 *   subscriptions per tab; exceeding either is a reported failure, never a silent drop.
 * - Faults: `sim.intercept({ area: 'bus', op: 'post', ... })` may drop the post ('error': traced as
 *   'bus.drop', since BroadcastChannel has no error path) or crash the poster ('crash' before or after
 *   the post took effect; a tab crash, not a power loss); a tab paused at its post still posts (it
 *   freezes once the task that posted ends).
 *
 * Trace: 'bus.post' {channel, msg, to, type?} at the sender (`to`: how many tabs it was sent to),
 * 'bus.deliver' {channel, msg, from, type?} and 'bus.discard' {channel, msg, from, type?} (the receiver
 * unsubscribed meanwhile) at each receiver, and 'bus.drop' {channel, code, type?} at the sender. `msg`
 * numbers the device's posts from 1: a post and its deliveries carry the same one (timelines match them).
 *
 * Observers (`observe`, for evidence recorders in src/evidence): see every post that took effect and every
 * delivery, with the message, right after its trace record and before any handler runs. They must not
 * change the message.
 */
import type { Bus, Value } from '../../impl/env.ts';
import type { SimNode } from '../node.ts';
import type { Rng } from '../rng.ts';
import type { Simulation } from '../simulation.ts';
import type { FaultAction } from '../types.ts';
import { Fifo } from '../fifo.ts';
import { copyValue, messageType } from '../../impl/seam/value.ts';

/** Options of a device's tab bus (all optional). */
export interface BusOptions {
  /** Smallest delivery latency, µs. Default 20. */
  latencyUsMin?: number;
  /** Largest delivery latency, µs (uniform between min and max). Default 500. */
  latencyUsMax?: number;
  /** Messages in flight or queued per receiving tab before the run fails. Default 10,000. */
  queueLengthMax?: number;
  /** Live subscriptions per tab before the run fails. Default 1,000. */
  subscriptionsMax?: number;
}

/** Bus options with every field set. */
export type BusSettings = Readonly<Required<BusOptions>>;

/** Default bus settings. */
export const BUS_DEFAULTS: BusSettings = {
  latencyUsMin: 20,
  latencyUsMax: 500,
  queueLengthMax: 10_000,
  subscriptionsMax: 1_000,
};

/** Validates bus options and fills in defaults; throws a RangeError naming the bad field. */
export function resolveBusOptions(options: BusOptions = {}): BusSettings {
  const s: BusSettings = { ...BUS_DEFAULTS, ...definedOnly(options) };
  requireInt('latencyUsMin', s.latencyUsMin, 0);
  requireInt('latencyUsMax', s.latencyUsMax, 0);
  if (s.latencyUsMax < s.latencyUsMin) {
    throw new RangeError(`bus option latencyUsMax (${s.latencyUsMax}) is below latencyUsMin (${s.latencyUsMin})`);
  }
  requireInt('queueLengthMax', s.queueLengthMax, 1);
  requireInt('subscriptionsMax', s.subscriptionsMax, 1);
  return s;
}

function definedOnly(options: BusOptions): BusOptions {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (v !== undefined) out[k] = v;
  return out as BusOptions;
}

function requireInt(field: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`bus option ${field} must be an integer >= ${min}, got ${String(value)}`);
  }
}

/** A post that took effect, or a delivery, as an observer sees it (`message` is shared: do not mutate). */
export interface BusEvent {
  channel: string;
  /** The device's post number (as in 'bus.post' / 'bus.deliver'). */
  msg: number;
  /** The posting tab. */
  from: string;
  message: Value;
}

/** Sees a device's bus traffic (evidence recorders). */
export interface BusObserver {
  /** A post took effect (`to`: how many tabs it was sent to). */
  posted?(event: BusEvent & { to: number }): void;
  /** `node` is about to handle a message (its handlers run right after). */
  delivered?(event: BusEvent & { node: string }): void;
}

/** One subscription (one BroadcastChannel object, in browser terms). */
interface Subscription {
  readonly handler: (message: Value, from: string) => void;
  /** Sequence number of the last post before it subscribed: it receives only later posts. */
  readonly sinceSeq: number;
  active: boolean;
}

/** A message on its way to one receiver. */
interface Envelope {
  readonly seq: number;
  readonly from: string;
  readonly channel: string;
  /** This receiver's own copy. */
  readonly message: Value;
  readonly type: string | undefined;
}

/** Bus state of one incarnation of one tab. */
class Tab {
  readonly channels = new Map<string, Subscription[]>();
  /** Arrived messages not yet handled (the tab may be paused). */
  readonly inbox = new Fifo<Envelope>();
  /** Messages posted to this tab and not yet handled (in flight + inbox). */
  pending = 0;
  subscriptions = 0;
  /** Sender id -> arrival time of its latest message to this tab (keeps each pair FIFO). */
  readonly lastArrivalUs = new Map<string, number>();
  alive = true;
  /** Handles the head of the inbox (bound once: delivered for every arrival). */
  readonly handleNext: () => void;

  constructor(
    readonly node: SimNode,
    readonly inc: number,
    handle: (tab: Tab, env: Envelope) => void,
  ) {
    this.handleNext = () => {
      const env = this.inbox.shift();
      if (env === undefined) return;
      this.pending--;
      handle(this, env);
    };
  }
}

/** The BroadcastChannel-like bus of one device. */
export class SimBus {
  /** Resolved settings. */
  readonly settings: BusSettings;
  private readonly rng: Rng;
  /** Node id -> bus state of its current incarnation (only tabs that subscribed). */
  private readonly tabs = new Map<string, Tab>();
  private readonly receivers: Tab[] = [];
  private postSeq = 0;
  private readonly observers: BusObserver[] = [];

  constructor(
    readonly sim: Simulation,
    readonly deviceId: string,
    options: BusOptions = {},
  ) {
    this.settings = resolveBusOptions(options);
    this.rng = sim.stream(`bus/${deviceId}`);
    sim.onLifecycle({
      nodeUp: (node) => this.forget(node),
      nodeDown: (node) => this.forget(node),
    });
  }

  /** The Bus a node's incarnation `inc` sees. */
  facet(node: SimNode, inc: number): Bus {
    return {
      post: (channel, message) => this.post(node, inc, channel, message),
      subscribe: (channel, handler) => this.subscribe(node, inc, channel, handler),
    };
  }

  /** Adds an observer of posts and deliveries (see the file comment). */
  observe(observer: BusObserver): void {
    this.observers.push(observer);
  }

  /** Ids of the live tabs subscribed to `channel`, in subscription order (for checkers and tests). */
  subscribers(channel: string): string[] {
    const out: string[] = [];
    for (const tab of this.tabs.values()) if (tab.channels.has(channel)) out.push(tab.node.id);
    return out;
  }

  /** Messages posted to `nodeId` that it has not handled yet (in flight or queued while paused). */
  pendingFor(nodeId: string): number {
    return this.tabs.get(nodeId)?.pending ?? 0;
  }

  // ---------------------------------------------------------------- post

  private post(node: SimNode, inc: number, channel: string, message: Value): void {
    if (!node.isLive(inc)) return;
    if (typeof channel !== 'string') throw new TypeError(`bus.post: channel must be a string, got ${typeof channel}`);
    const snapshot = copyValue(message); // the sender may change `message` later; rejects non-Values
    const type = messageType(snapshot);
    const action = this.sim.intercept({ area: 'bus', op: 'post', node: node.id, device: this.deviceId, target: channel });
    // A fault at this post took the poster's device down (another tab's crash with power loss): nothing is posted.
    if (!node.isLive(inc)) return;
    if (action !== null && !this.faultLetsPostThrough(node, channel, type, action)) return;
    this.postNow(node, channel, snapshot, type);
    if (action?.type === 'crash') this.sim.crashByFault(node.id, action, false);
  }

  /** Applies a fault to a post; returns true when the post still takes effect. */
  private faultLetsPostThrough(node: SimNode, channel: string, type: string | undefined, action: FaultAction): boolean {
    switch (action.type) {
      case 'error':
        this.sim.trace.emit(node.id, 'bus.drop', withType({ channel, code: action.code }, type));
        return false;
      case 'crash':
        if (action.when === 'after') return true;
        this.sim.crashByFault(node.id, action, false);
        return false;
      case 'pause':
        return true; // the tab froze (the injector paused it): a post takes effect as it is called
      default:
        this.sim.scheduler.fail(new Error(`fault action '${action.type}' does not apply to bus.post`));
        return false;
    }
  }

  /** Sends `snapshot` (already a private copy) to every receiver subscribed now. */
  private postNow(node: SimNode, channel: string, snapshot: Value, type: string | undefined): void {
    const seq = ++this.postSeq;
    const receivers = this.collectReceivers(node.id, channel);
    this.sim.trace.emit(node.id, 'bus.post', withType({ channel, msg: seq, to: receivers.length }, type));
    for (const o of this.observers) o.posted?.({ channel, msg: seq, from: node.id, message: snapshot, to: receivers.length });
    for (let i = 0; i < receivers.length; i++) {
      const tab = receivers[i]!;
      if (!this.admit(tab)) break;
      const message = i === 0 ? snapshot : copyValue(snapshot);
      this.send(tab, { seq, from: node.id, channel, message, type });
    }
    receivers.length = 0;
  }

  /** Live tabs other than `fromId` with a subscription to `channel` (a reused scratch array). */
  private collectReceivers(fromId: string, channel: string): Tab[] {
    const out = this.receivers;
    out.length = 0;
    for (const tab of this.tabs.values()) {
      if (tab.node.id !== fromId && tab.channels.has(channel) && tab.node.isLive(tab.inc)) out.push(tab);
    }
    return out;
  }

  /** Counts a message against the receiver's bound; on overflow fails the run and returns false. */
  private admit(tab: Tab): boolean {
    if (tab.pending < this.settings.queueLengthMax) {
      tab.pending++;
      return true;
    }
    this.sim.fail({
      kind: 'crash',
      check: 'bus-queue-bound',
      message:
        `bus of device '${this.deviceId}': tab '${tab.node.id}' has ${tab.pending} unhandled messages ` +
        `(queueLengthMax ${this.settings.queueLengthMax}; status ${tab.node.status})`,
      node: tab.node.id,
    });
    return false;
  }

  /** Schedules the arrival of `env` at `tab`, after a seeded latency, never before the pair's previous one. */
  private send(tab: Tab, env: Envelope): void {
    const { latencyUsMin, latencyUsMax } = this.settings;
    const latencyUs = this.rng.range(latencyUsMin, latencyUsMax);
    const last = tab.lastArrivalUs.get(env.from) ?? 0;
    const atUs = Math.max(this.sim.nowUs() + latencyUs, last);
    tab.lastArrivalUs.set(env.from, atUs);
    this.sim.scheduler.at(atUs, () => {
      if (!tab.alive) return;
      // The inbox keeps arrival order even when deliveries queued during a pause are replayed late.
      tab.inbox.push(env);
      tab.node.deliverFrom('bus', tab.inc, tab.handleNext);
    });
  }

  // ---------------------------------------------------------------- receive

  /** Hands one message to the receiver's subscriptions that existed when it was posted. */
  private handle(tab: Tab, env: Envelope): void {
    const subs = tab.channels.get(env.channel);
    const eligible = subs === undefined ? 0 : countEligible(subs, env.seq);
    const fields = withType({ channel: env.channel, msg: env.seq, from: env.from }, env.type);
    if (subs === undefined || eligible === 0) {
      this.sim.trace.emit(tab.node.id, 'bus.discard', fields);
      return;
    }
    this.sim.trace.emit(tab.node.id, 'bus.deliver', fields);
    for (const o of this.observers) o.delivered?.({ channel: env.channel, msg: env.seq, from: env.from, message: env.message, node: tab.node.id });
    if (subs.length === 1) {
      subs[0]!.handler(env.message, env.from);
      return;
    }
    const targets = subs.filter((s) => s.active && s.sinceSeq < env.seq);
    for (let i = 0; i < targets.length; i++) {
      const sub = targets[i]!;
      if (!sub.active || !tab.alive) continue; // unsubscribed or crashed by an earlier handler
      // Every subscription gets its own copy; the last one gets the envelope's.
      sub.handler(i === targets.length - 1 ? env.message : copyValue(env.message), env.from);
    }
  }

  // ---------------------------------------------------------------- subscribe

  private subscribe(
    node: SimNode,
    inc: number,
    channel: string,
    handler: (message: Value, from: string) => void,
  ): () => void {
    if (!node.isLive(inc)) return noop;
    if (typeof channel !== 'string') throw new TypeError(`bus.subscribe: channel must be a string, got ${typeof channel}`);
    if (typeof handler !== 'function') throw new TypeError(`bus.subscribe: handler must be a function, got ${typeof handler}`);
    const tab = this.tabOf(node, inc);
    if (tab.subscriptions >= this.settings.subscriptionsMax) {
      this.failSubscriptions(tab);
      return noop;
    }
    const sub: Subscription = { handler, sinceSeq: this.postSeq, active: true };
    let list = tab.channels.get(channel);
    if (list === undefined) tab.channels.set(channel, (list = []));
    list.push(sub);
    tab.subscriptions++;
    return () => unsubscribe(tab, channel, sub);
  }

  private failSubscriptions(tab: Tab): void {
    this.sim.fail({
      kind: 'crash',
      check: 'bus-subscription-bound',
      message:
        `bus of device '${this.deviceId}': tab '${tab.node.id}' holds ${tab.subscriptions} subscriptions ` +
        `(subscriptionsMax ${this.settings.subscriptionsMax}; a missing unsubscribe?)`,
      node: tab.node.id,
    });
  }

  /** The bus state of the node's incarnation `inc` (created on first use). */
  private tabOf(node: SimNode, inc: number): Tab {
    let tab = this.tabs.get(node.id);
    if (tab === undefined || tab.inc !== inc) {
      if (tab !== undefined) tab.alive = false;
      tab = new Tab(node, inc, (t, env) => this.handle(t, env));
      this.tabs.set(node.id, tab);
    }
    return tab;
  }

  /** Drops a tab's queue and subscriptions (its process ended or restarted). */
  private forget(node: SimNode): void {
    if (node.deviceId !== this.deviceId) return;
    const tab = this.tabs.get(node.id);
    if (tab === undefined) return;
    tab.alive = false;
    tab.inbox.clear();
    tab.pending = 0;
    this.tabs.delete(node.id);
  }
}

function noop(): void {}

function countEligible(subs: readonly Subscription[], seq: number): number {
  let n = 0;
  for (const s of subs) if (s.active && s.sinceSeq < seq) n++;
  return n;
}

function unsubscribe(tab: Tab, channel: string, sub: Subscription): void {
  if (!sub.active) return;
  sub.active = false;
  if (!tab.alive) return;
  tab.subscriptions--;
  const list = tab.channels.get(channel);
  if (list === undefined) return;
  const at = list.indexOf(sub);
  if (at >= 0) list.splice(at, 1);
  if (list.length === 0) tab.channels.delete(channel);
}

/** `fields` with `type` added when the message has one. */
function withType<T extends Record<string, unknown>>(fields: T, type: string | undefined): T & { type?: string } {
  if (type !== undefined) (fields as T & { type?: string }).type = type;
  return fields;
}
