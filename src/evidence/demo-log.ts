/**
 * `fact.demo.log`: the items a power loss now would leave in a demo gossip node's log, read from the
 * simulator's durable disk image, never from the node's own trace.
 *
 *   fact.demo.log {device, items, invalid[, starting]}   (node 'sim')
 *
 * - items: the items of every complete, valid line of the durable `/data/items.log`, sorted, without
 *   duplicates (empty when the log is absent);
 * - invalid: how many non-empty lines fail the format (a torn append, damage at rest).
 *
 * Emitted whenever the durable log changes, right after the simulator record that changed it (`disk.fsync`
 * of the log, `disk.fsyncDir` of `/data` or `/`, `disk.powerloss`, `disk.corrupt`), and at every
 * `node.start` of a device whose log it has seen, with `starting: <node>`: the process that starts reads
 * what is there.
 *
 * Decoded here, independently of `src/impl` (docs/models.md, "The demo's log format"): UTF-8 lines
 * `<item> <checksum>\n`, the checksum the 32-bit FNV-1a hash of the item's UTF-16 code units as 8
 * lowercase hex digits; the item is everything before the last space.
 */
import type { Simulation } from '../sim/simulation.ts';
import type { TraceRecord } from '../sim/trace.ts';
import type { EvidenceRecorder } from './types.ts';

/** The log's path on every demo node's disk. */
export const DEMO_LOG = '/data/items.log';

/** The fields of `fact.demo.log`. */
export interface DemoLogFact {
  device: string;
  items: string[];
  invalid: number;
}

/** FNV-1a, 32 bits, over UTF-16 code units, as 8 lowercase hex digits (the spec of a line's checksum). */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

const decoder = new TextDecoder();

/** Decodes a log's bytes: the valid items (sorted, unique) and the number of invalid lines. */
export function decodeDemoLog(bytes: Uint8Array | null): { items: string[]; invalid: number } {
  if (bytes === null) return { items: [], invalid: 0 };
  const items = new Set<string>();
  let invalid = 0;
  const text = decoder.decode(bytes);
  const lines = text.split('\n');
  // The text after the last newline is an append that did not complete (or nothing).
  const complete = lines.slice(0, -1);
  if (lines[lines.length - 1] !== '') invalid++;
  for (const line of complete) {
    if (line === '') continue;
    const at = line.lastIndexOf(' ');
    const item = at > 0 ? line.slice(0, at) : '';
    if (at > 0 && line.slice(at + 1) === fnv1a(item)) items.add(item);
    else invalid++;
  }
  return { items: [...items].sort(), invalid };
}

/** Records `fact.demo.log` for every device that runs a demo gossip node. */
export function demoLogEvidence(): EvidenceRecorder {
  return {
    name: 'demo-log',
    produces: ['fact.demo.log'],
    install(sim: Simulation) {
      /** Per device, the last fact emitted (its items joined, to compare). */
      const last = new Map<string, { key: string; fact: DemoLogFact }>();
      const emit = (device: string): void => {
        const { items, invalid } = decodeDemoLog(sim.device(device).disk.durableFile(DEMO_LOG));
        const key = `${invalid}\u0000${items.join('\u0000')}`;
        if (last.get(device)?.key === key) return;
        const fact = { device, items, invalid };
        last.set(device, { key, fact });
        sim.trace.emit('sim', 'fact.demo.log', { ...fact });
      };
      const deviceOf = (rec: TraceRecord): string | null => (typeof rec.data.device === 'string' ? rec.data.device : (sim.nodes.get(rec.node)?.deviceId ?? null));
      const onPath = (rec: TraceRecord): void => {
        const p = rec.data.path;
        if (p !== DEMO_LOG && p !== '/data' && p !== '/') return;
        const device = deviceOf(rec);
        if (device !== null) emit(device);
      };
      sim.trace.on('disk.fsync', onPath);
      sim.trace.on('disk.fsyncDir', onPath);
      sim.trace.on('disk.corrupt', onPath);
      sim.trace.on('disk.powerloss', (r) => {
        const device = deviceOf(r);
        if (device !== null && last.has(device)) emit(device);
      });
      sim.trace.on('node.start', (r) => {
        const device = deviceOf(r);
        const seen = device === null ? undefined : last.get(device);
        if (seen !== undefined) sim.trace.emit('sim', 'fact.demo.log', { ...seen.fact, starting: r.node });
      });
    },
  };
}
