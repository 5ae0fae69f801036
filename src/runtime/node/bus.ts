/**
 * The real runtime's tab bus: a BroadcastChannel-like bus between the envs of one device in this
 * process (cross-process tabs are out of scope).
 *
 * - `post` delivers a deep copy to every OTHER env that had a subscription to the channel when the message
 *   was posted and still has it when the message is handled; the sender never receives its own message.
 * - Delivery is asynchronous (a macrotask per message), FIFO for every (sender, receiver) pair.
 * - Bounded: at most BUS_PENDING_MAX undelivered messages per receiving env (a post beyond that throws
 *   ESTATE at the poster, never a silent drop) and BUS_SUBSCRIPTIONS_MAX subscriptions per env.
 * - A closed env loses its subscriptions and its undelivered messages, and can neither post nor subscribe.
 */
import { EnvError, type Bus, type Value } from '../../impl/env.ts';
import { copyValue } from './codec.ts';
import type { Life } from './life.ts';

/** Undelivered messages per receiving env before a post fails. */
export const BUS_PENDING_MAX = 10_000;
/** Live subscriptions per env before subscribe fails. */
export const BUS_SUBSCRIPTIONS_MAX = 1_000;

/** One subscription (one BroadcastChannel object, in browser terms). */
interface Subscription {
  readonly channel: string;
  readonly member: Member;
  readonly handler: (message: Value, from: string) => void;
  active: boolean;
}

/** One env on the bus. */
interface Member {
  readonly life: Life;
  readonly name: string;
  subscriptions: number;
  pending: number;
}

/** The bus of one device. */
export class RuntimeBus {
  private readonly channels = new Map<string, Set<Subscription>>();

  /** The Bus an env sees; `name` is how receivers see it (`from`). */
  facet(life: Life, name: string): Bus {
    const member: Member = { life, name, subscriptions: 0, pending: 0 };
    const mine = new Set<Subscription>();
    life.onClose(() => {
      for (const sub of mine) this.unsubscribe(sub);
      mine.clear();
    });
    return {
      post: (channel, message) => {
        if (!life.live) return;
        checkChannel(channel);
        this.post(member, channel, copyValue(message, 'message'));
      },
      subscribe: (channel, handler) => {
        checkChannel(channel);
        if (typeof handler !== 'function') throw new TypeError('subscribe: handler must be a function');
        if (!life.live) return () => {};
        if (member.subscriptions >= BUS_SUBSCRIPTIONS_MAX) {
          throw new EnvError('ESTATE', `'${name}' holds ${BUS_SUBSCRIPTIONS_MAX} bus subscriptions (BUS_SUBSCRIPTIONS_MAX)`);
        }
        const sub: Subscription = { channel, member, handler, active: true };
        member.subscriptions++;
        mine.add(sub);
        let set = this.channels.get(channel);
        if (set === undefined) this.channels.set(channel, (set = new Set()));
        set.add(sub);
        return () => {
          mine.delete(sub);
          this.unsubscribe(sub);
        };
      },
    };
  }

  private post(from: Member, channel: string, message: Value): void {
    const receivers = [...(this.channels.get(channel) ?? [])].filter((s) => s.active && s.member !== from && s.member.life.live);
    for (const sub of receivers) {
      if (sub.member.pending >= BUS_PENDING_MAX) {
        throw new EnvError('ESTATE', `bus receiver '${sub.member.name}' has ${BUS_PENDING_MAX} undelivered messages (BUS_PENDING_MAX)`);
      }
    }
    for (const sub of receivers) {
      const copy = copyValue(message);
      sub.member.pending++;
      setImmediate(() => {
        sub.member.pending--;
        if (sub.active && sub.member.life.live) sub.handler(copy, from.name);
      });
    }
  }

  private unsubscribe(sub: Subscription): void {
    if (!sub.active) return;
    sub.active = false;
    sub.member.subscriptions--;
    const set = this.channels.get(sub.channel);
    if (set !== undefined && set.delete(sub) && set.size === 0) this.channels.delete(sub.channel);
  }
}

function checkChannel(channel: unknown): asserts channel is string {
  if (typeof channel !== 'string' || channel === '') throw new TypeError(`channel must be a non-empty string, got ${String(channel)}`);
}
