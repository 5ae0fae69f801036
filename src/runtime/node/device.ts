/**
 * Devices of the real runtime: what the tabs (envs) of one device share inside this process, the tab
 * bus and the lock manager. Tabs in different processes cannot share them (out of scope).
 */
import { RuntimeBus } from './bus.ts';
import { RuntimeLocks } from './locks.ts';

/** A device: the bus and lock manager shared by every env created with it. */
export class NodeDevice {
  /** The device's tab bus. */
  readonly bus = new RuntimeBus();
  /** The device's lock manager. */
  readonly locks = new RuntimeLocks();

  constructor(readonly id: string) {
    if (typeof id !== 'string' || id === '') throw new TypeError(`device id must be a non-empty string, got ${String(id)}`);
  }
}

/** Devices named by string in this process, with the number of envs using each. */
const named = new Map<string, { device: NodeDevice; refs: number }>();

/**
 * The device for an env: `device` itself, or the process-wide device of that name (created on first use,
 * forgotten when the last env using it calls the returned `release`).
 */
export function acquireDevice(device: NodeDevice | string): { device: NodeDevice; release: () => void } {
  if (device instanceof NodeDevice) return { device, release: () => {} };
  let entry = named.get(device);
  if (entry === undefined) named.set(device, (entry = { device: new NodeDevice(device), refs: 0 }));
  entry.refs++;
  const held = entry;
  let released = false;
  return {
    device: held.device,
    release: () => {
      if (released) return;
      released = true;
      if (--held.refs === 0 && named.get(device) === held) named.delete(device);
    },
  };
}
