/**
 * `fact.provider.file`: every change a cloud provider made durable, read from its kv commits (what a
 * crash now would leave), never from its trace. docs/provider-sync.md, Evidence.
 *
 *   fact.provider.file {provider, id, rev, path, hash, deleted, title}   (node 'sim')
 *
 * - provider: the provider's device (its node id and address); id, rev: the file and its revision (the
 *   feed sequence number of the change); path, hash: its metadata after the change; deleted: the change
 *   deleted it.
 * - Decoded here from the provider's documented layout (`files/<id>` holds the file's latest state,
 *   written by every change in the same strict commit as the feed entry), independently of `src/impl`.
 *   Commits of other durabilities are not evidence of anything durable and are not recorded.
 *
 * Emitted right after the commit's `kv.commit`, in the order the commit wrote them, so the provider's
 * next reply (which may show the change) always comes later in the trace.
 */
import type { KvCommitView } from '../sim/disk/kv.ts';
import type { Simulation } from '../sim/simulation.ts';
import type { EvidenceRecorder } from './types.ts';

/** The fields of `fact.provider.file`. */
export interface ProviderFileFact {
  provider: string;
  id: string;
  rev: number;
  path: string;
  hash: string;
  deleted: boolean;
  title: string | null;
}

/**
 * The title a library takes from a content (its "tags", docs/provider-sync.md): the first line, at most 64
 * UTF-16 code units. Computed here from the provider's stored content, never from a library's records.
 */
export function contentTitle(data: string): string {
  const nl = data.indexOf('\n');
  return (nl < 0 ? data : data.slice(0, nl)).slice(0, 64);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Decodes a stored `files/<id>` value, or null when it is not one. */
export function decodeProviderFile(provider: string, v: unknown): ProviderFileFact | null {
  if (!isObj(v) || typeof v.id !== 'string' || !Number.isInteger(v.rev) || typeof v.path !== 'string' || typeof v.hash !== 'string') return null;
  const title = typeof v.data === 'string' ? contentTitle(v.data) : null;
  return { provider, id: v.id, rev: v.rev as number, path: v.path, hash: v.hash, deleted: v.deleted === true, title };
}

/** Records `fact.provider.file` for every device whose commits write the `files` store. */
export function providerFeedEvidence(): EvidenceRecorder {
  return {
    name: 'provider-feed',
    produces: ['fact.provider.file'],
    install(sim: Simulation) {
      for (const device of sim.devices.values()) {
        device.kv.observeCommits((c: KvCommitView) => {
          if (c.durability !== 'strict') return;
          for (const w of c.writes) {
            if (w.store !== 'files') continue;
            const f = decodeProviderFile(device.id, w.value);
            if (f !== null) sim.trace.emit('sim', 'fact.provider.file', f as unknown as Record<string, unknown>);
          }
        });
      }
    },
  };
}
