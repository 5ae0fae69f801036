import { describe, expect, it } from 'vitest';
import { resolvePeerOptions, type PeerOptions } from '../../src/impl/peer/options.ts';

const base: PeerOptions = { library: 'lib', peers: ['B', 'A'], resources: { tag: 'shared', entry: 'owned' } };

describe('peer options', () => {
  it('fills in defaults, sorts peers and resources', () => {
    const c = resolvePeerOptions(base);
    expect(c.peers).toEqual(['A', 'B']);
    expect(c.resourceOrder).toEqual(['entry', 'tag']);
    expect(c).toMatchObject({ batchSize: 500, bufferMax: 10_000, maxDriftMs: 60_000, founder: false, variant: '' });
  });

  it('names the bad field', () => {
    expect(() => resolvePeerOptions({ ...base, library: '' })).toThrow(/library/);
    expect(() => resolvePeerOptions({ ...base, resources: {} })).toThrow(/resources/);
    expect(() => resolvePeerOptions({ ...base, resources: { Tag: 'shared' } })).toThrow(/resource name 'Tag'/);
    expect(() => resolvePeerOptions({ ...base, resources: { tag: 'both' as never } })).toThrow(/resources\.tag/);
    expect(() => resolvePeerOptions({ ...base, batchSize: 0 })).toThrow(/batchSize/);
    expect(() => resolvePeerOptions({ ...base, bufferMax: 1.5 })).toThrow(/bufferMax/);
    // Every numeric option names itself when refused.
    for (const name of ['batchSize', 'heartbeatMs', 'reconnectMs', 'connectTimeoutMs', 'requestTimeoutMs', 'ackTimeoutMs', 'retryQueueMax', 'bufferMax', 'maxDriftMs', 'logMax', 'metricsSnapshotMs', 'metricsSnapshotsKept'] as const) {
      expect(() => resolvePeerOptions({ ...base, [name]: -1 }), name).toThrow(new RegExp(`\\b${name}\\b`));
    }
    expect(() => resolvePeerOptions({ ...base, variant: 'peer-nonsense' })).toThrow(/variant 'peer-nonsense'/);
  });

  it('accepts its own variants and ignores other areas\' variants', () => {
    expect(resolvePeerOptions({ ...base, variant: 'peer-prune-early' }).variant).toBe('peer-prune-early');
    expect(resolvePeerOptions({ ...base, variant: 'demo-no-anti-entropy' }).variant).toBe('');
  });
});
