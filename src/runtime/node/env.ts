/**
 * `createNodeEnv`: the Env interfaces of src/impl/env.ts on real Node APIs, so an implementation written
 * against Env runs unchanged outside the simulator (see docs/runtime.md).
 */
import { mkdir, realpath } from 'node:fs/promises';
import type { Env } from '../../impl/env.ts';
import { createClock, createRandom } from './clock.ts';
import { acquireDevice, type NodeDevice } from './device.ts';
import { createDisk } from './disk.ts';
import { nextIncarnation } from './incarnation.ts';
import { acquireKv } from './kv.ts';
import { Life } from './life.ts';
import { startNet } from './net.ts';
import { requirePort, resolveOptions, type NodeEnvOptions } from './options.ts';
import { peerEvidence } from './peer-evidence.ts';
import { storeEvidence } from './store-evidence.ts';
import { createTracer } from './tracer.ts';

/** A running env and what its owner needs to drive it. */
export interface NodeEnvHandle {
  /** The Env to hand to the implementation. */
  readonly env: Env;
  /** The TCP (and UDP) port this env listens on, on 127.0.0.1. */
  readonly port: number;
  /** The device whose bus and locks this env shares. */
  readonly device: NodeDevice;
  /** Sets (or replaces) the port of peer `id`, e.g. once a peer started on an ephemeral port. */
  setPeer(id: string, port: number): void;
  /** Probe name -> times reached. */
  probes(): ReadonlyMap<string, number>;
  /**
   * Stops the env as a crash would, seen from the implementation: pending promises never settle, timers
   * stop, connections are reset, locks are released, transactions not yet committing are dropped. Then
   * closes servers, sockets, the kv log (after its pending writes) and the trace file.
   */
  close(): Promise<void>;
}

/** Starts an env: creates dataDir, replays the kv log, listens on 127.0.0.1. */
export async function createNodeEnv(options: NodeEnvOptions): Promise<NodeEnvHandle> {
  const settings = resolveOptions(options);
  const run = settings.run;
  if (run !== null) {
    const named = run.nodes.find((n) => n.id === settings.nodeId);
    if (named === undefined) throw new TypeError(`run: node '${settings.nodeId}' is not in the run trace's header`);
    const device = typeof settings.device === 'string' ? settings.device : settings.device.id;
    if (named.device !== device) throw new TypeError(`run: node '${settings.nodeId}' is on device '${device}', the run trace's header says '${named.device}'`);
  }
  await mkdir(settings.dataDir, { recursive: true });
  const dataDir = await realpath(settings.dataDir);
  const life = new Life();
  try {
    const clock = createClock(life);
    const incarnation = settings.incarnation ?? (await nextIncarnation(dataDir, settings.nodeId));
    const shared = await acquireKv(dataDir, settings.kvCompactLinesMax);
    life.onClose(shared.release);
    const { device, release } = acquireDevice(settings.device);
    life.onClose(release);
    const trace = createTracer(life, settings.nodeId, clock.monotonic, settings.trace, settings.traceFile, run);
    const evidence = run === null ? null : storeEvidence(run, device.id, dataDir, shared.kv);
    const peer = run?.peer === true ? peerEvidence(run, settings.nodeId, device.id, shared.kv) : null;
    const peers = new Map(Object.entries(settings.peers));
    const limits = {
      messageBytesMax: settings.messageBytesMax,
      bufferLengthMax: settings.bufferLengthMax,
      writeBytesMax: 4 * settings.messageBytesMax,
    };
    const net = await startNet(life, { nodeId: settings.nodeId, port: settings.port, connectTimeoutMs: settings.connectTimeoutMs, limits, wire: peer?.wire ?? null }, peers, trace);
    const env: Env = {
      nodeId: settings.nodeId,
      deviceId: device.id,
      incarnation,
      clock,
      random: createRandom(),
      disk: createDisk(life, dataDir, evidence === null ? null : (path) => evidence.synced(path)),
      kv: shared.kv.facet(
        life,
        settings.kvDurability,
        evidence === null
          ? null
          : (stores, strict) => {
              evidence.kvCommitted(stores, strict);
              peer?.kvCommitted(stores, strict);
            },
      ),
      net: net.net,
      bus: device.bus.facet(life, settings.nodeId),
      locks: device.locks.facet(life),
      trace,
    };
    if (run !== null && evidence !== null) {
      // As a simulated process starts: node.start, then the stores' durable point as the process finds it
      // (evidence reads never reject: nothing can fail between node.start and the returned handle).
      run.emit(settings.nodeId, 'node.start', { incarnation, device: device.id });
      await evidence.started(settings.nodeId);
      peer?.started({ wallMs: clock.now(), monotonicMs: clock.monotonic() });
    }
    trace.emit('runtime.start', { incarnation, port: net.port });
    return {
      env,
      port: net.port,
      device,
      setPeer: (id, port) => {
        if (typeof id !== 'string' || id === '') throw new TypeError(`setPeer: id must be a non-empty string, got ${String(id)}`);
        net.setPeer(id, requirePort(`port of peer '${id}'`, port, false));
      },
      probes: () => new Map(trace.probes),
      close: () => {
        // The close is a crash as the implementation sees it (without power loss: nothing written is lost).
        if (life.live) run?.emit(settings.nodeId, 'node.crash', { incarnation, powerLoss: false });
        return life.close();
      },
    };
  } catch (e) {
    await life.close().catch(() => {});
    throw e;
  }
}
