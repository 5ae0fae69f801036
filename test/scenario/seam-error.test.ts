/** The seams' shared refusal: SeamError names the seam; notAFactory refuses a non-function and a class. */
import { describe, expect, it } from 'vitest';
import { notAFactory, SeamError } from '../../src/impl/seam/seam-error.ts';
import { PeerSeamError } from '../../src/impl/peer/seam.ts';
import { StorageSeamError } from '../../src/impl/storage/seam.ts';
import { stockScenarios, withImplementations } from '../../src/scenario/implementations.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { ElectionFactory } from '../../src/impl/election/types.ts';
import type { HybridClockFactory } from '../../src/impl/peer/hlc.ts';

describe('SeamError', () => {
  it('names the seam in the message and as a field; the storage and peer errors are SeamErrors', () => {
    const e = new SeamError('csClient', 'the plugged-in factory resolved to null');
    expect(e.message).toBe('csClient seam: the plugged-in factory resolved to null');
    expect(e.seam).toBe('csClient');
    expect(new StorageSeamError('x')).toBeInstanceOf(SeamError);
    expect(new PeerSeamError('x').seam).toBe('peer');
  });

  it('notAFactory refuses a non-function and a class, accepts a function', () => {
    class MyStore {}
    const use = (n: string): string => `(env, options) => ${n}.open(env, options)`;
    expect(notAFactory(42, 'a BlockStorageFactory', use)).toBe('expected a BlockStorageFactory, got number');
    expect(notAFactory(null, 'a BlockStorageFactory', use)).toBe('expected a BlockStorageFactory, got null');
    expect(notAFactory(MyStore, 'a BlockStorageFactory', use)).toBe('got the class MyStore, not a BlockStorageFactory: pass (env, options) => MyStore.open(env, options)');
    expect(notAFactory(async () => ({}), 'a BlockStorageFactory', use)).toBeNull();
  });
});

describe('the election and hlc seams check what their factory makes, like the others', async () => {
  const election = (await stockScenarios('election')).find((s) => s.name === 'election-two-tabs-same-instant')!;
  const peer = (await stockScenarios('peer')).find((s) => s.name === 'peer-partition-heal')!;
  const crash = async (s: Parameters<typeof runScenario>[0]): Promise<string> => {
    const r = await runScenario(s, 0);
    return `${r.verdict} ${r.failure?.message ?? ''}`;
  };

  it('an election factory returning something without the methods, or a class, is a crash naming the seam', async () => {
    const partial: ElectionFactory = () => ({ start: () => undefined }) as never;
    const [a] = withImplementations([election], { label: 'x', election: partial });
    expect(await crash(a!)).toMatch(/^crash .*SeamError: election seam: the factory's Election lacks role, epoch, canWrite, fenced, subscribe, close/);
    class MyElection {}
    const [b] = withImplementations([election], { label: 'x', election: MyElection as never });
    expect(await crash(b!)).toMatch(/^crash .*election seam: got the class MyElection, not an ElectionFactory \(deps\) => Election: pass \(deps\) => new MyElection\(deps\)/);
  });

  it('an hlc factory returning something that is no HybridClock is a crash naming the seam', async () => {
    const none: HybridClockFactory = () => null as never;
    const [a] = withImplementations([peer], { label: 'x', hlc: none });
    expect(await crash(a!)).toMatch(/^crash .*SeamError: hlc seam: the factory returned null, not a HybridClock \(methods: peek, tick, observe, restoreFloor\)/);
  });
});

