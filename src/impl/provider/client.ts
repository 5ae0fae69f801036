/**
 * The library's connection to one provider: numbered requests over one connection, each answered by the
 * reply with its `reqId` or failed by a timeout or the connection's end.
 *
 * - `call` resolves with the reply, Error replies included (the caller decides what a status means), and
 *   rejects with `Unavailable` when the provider cannot be reached, the connection broke, or the reply did
 *   not come within `requestTimeoutMs`. A timeout closes the connection: every request still on it is
 *   abandoned with it, and the next call connects again (so a late reply is never taken for a new one).
 * - Requests are never abandoned otherwise: a cancelled job lets its requests in flight finish.
 */
import { EnvError, type Connection, type Env, type Value } from '../env.ts';
import { decodeReply, type ProviderReply, type RequestBody } from './messages.ts';

/** The provider could not answer (unreachable, connection lost, timeout): transient. */
export class Unavailable extends Error {
  override name = 'Unavailable';
}

interface Pending {
  resolve(reply: ProviderReply): void;
  reject(error: Error): void;
  timer: number;
}

/** Requests to one provider. */
export class ProviderClient {
  private conn: Connection | null = null;
  private connecting: Promise<Connection> | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly env: Env,
    readonly address: string,
    private readonly timeoutMs: number,
    /** Weakened variant provider-timer-not-cleared: a reply leaves its request's timer running. */
    private readonly keepTimers = false,
    /** Weakened variant provider-timeout-seconds: the reply timer armed for timeoutMs seconds (1,000 times too long). */
    private readonly timerScale = 1,
  ) {}

  /** Sends `body` and resolves with the provider's reply (see the file comment). */
  async call(body: RequestBody): Promise<ProviderReply> {
    const conn = await this.connection();
    const reqId = this.nextId++;
    return new Promise<ProviderReply>((resolve, reject) => {
      const timer = this.env.clock.setTimeout(() => this.drop(conn, 'timeout'), this.timeoutMs * this.timerScale);
      this.pending.set(reqId, { resolve, reject, timer });
      try {
        conn.send({ ...body, reqId } as unknown as Value);
      } catch {
        this.drop(conn, 'closed');
      }
    });
  }

  private async connection(): Promise<Connection> {
    if (this.conn?.open === true) return this.conn;
    this.connecting ??= this.open().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async open(): Promise<Connection> {
    let conn: Connection;
    try {
      conn = await this.env.net.connect(this.address, { timeoutMs: this.timeoutMs });
    } catch (e) {
      throw new Unavailable(`${this.address}: ${e instanceof EnvError ? e.code : String(e)}`);
    }
    conn.onMessage((m) => this.onReply(m));
    conn.onClose(() => this.drop(conn, 'closed'));
    this.conn = conn;
    return conn;
  }

  private onReply(message: Value): void {
    const reply = decodeReply(message);
    if (reply === null) return;
    const p = this.pending.get(reply.reqId);
    if (p === undefined) return;
    this.pending.delete(reply.reqId);
    if (!this.keepTimers) this.env.clock.clearTimer(p.timer);
    p.resolve(reply);
  }

  /** Ends `conn` and fails every request on it. */
  private drop(conn: Connection, why: 'timeout' | 'closed'): void {
    if (this.conn !== conn) return;
    this.conn = null;
    if (conn.open) conn.close();
    const failed = [...this.pending.values()];
    this.pending.clear();
    for (const p of failed) {
      this.env.clock.clearTimer(p.timer);
      p.reject(new Unavailable(`${this.address}: ${why}`));
    }
  }
}
