/**
 * The caller's buffers are the caller's: a VFS or a page cache hands the store the same buffer for every
 * write and scribbles over what reads return. A store that keeps the caller's buffer (no copy on write) or
 * hands out its own (no copy on read) commits bytes the caller never wrote for that block. Every other
 * storage scenario writes a fresh buffer each time and never touches what a read returns: a store
 * aliasing them passed all of them.
 *
 * The workload fills one buffer again before each write (the oracle keeps a copy of what each write
 * held when it was made), refills it while a commit of it runs, scribbles over every read's result, and
 * power-cycles the node: the oracle holds the durable image and every read to the bytes written.
 */
import type { ScenarioContext } from '../../src/scenario/types.ts';
import { judgeOwnRead } from '../../src/model/storage/write-pressure.ts';
import { blockData, doForceSync, doVerifiedRead, doWrite, oracleOf, ownReadsCheck, scriptedScenario, withLastCopy, type StorageSetup, type StoreHandle } from './_harness.ts';

const NODE = 'S';

/** One buffer per run, reused by every write (as a VFS reuses its page buffer). */
const BUFFER = 'storage.caller-buffer';

function buffer(ctx: ScenarioContext, size: number): Uint8Array {
  let b = ctx.shared.get(BUFFER) as Uint8Array | undefined;
  if (b === undefined) ctx.shared.set(BUFFER, (b = new Uint8Array(size)));
  return b;
}

/** Writes block `id` from the shared buffer, filled with fresh bytes first. */
function writeFromBuffer(ctx: ScenarioContext, setup: StorageSetup, id: number): void {
  const b = buffer(ctx, setup.blockSize);
  b.set(blockData(ctx, setup.blockSize));
  doWrite(ctx, NODE, id, b);
}

/** Reads block `id` as the store's user sees it (its latest write), judges it, then scribbles over the result. */
function readAndScribble(ctx: ScenarioContext, id: number, fill: number): void {
  const h = ctx.handle<StoreHandle>(NODE);
  if (h === null) return;
  const want = oracleOf(ctx).latestWrite(NODE, id);
  h.store.read(id).then(
    (got) => {
      judgeOwnRead(ctx, NODE, id, want, got);
      got?.fill(fill);
    },
    (e: unknown) => judgeOwnRead(ctx, NODE, id, want, e instanceof Error ? e : new Error(String(e))),
  );
}

function script(setup: StorageSetup): (ctx: ScenarioContext) => void {
  const ids = Array.from({ length: setup.blocks }, (_, i) => i);
  return (ctx) => {
    // Round 1: every block from the one buffer, each read back (uncommitted) and the result scribbled on.
    ctx.at(100, () => {
      for (const id of ids) writeFromBuffer(ctx, setup, id);
      for (const id of ids) readAndScribble(ctx, id, 0xa5);
    });
    ctx.at(120, () => doForceSync(ctx, NODE));
    ctx.at(200, () => {
      for (const id of ids) doVerifiedRead(ctx, NODE, id);
    });
    // Round 2: half the blocks again, committed at once; the buffer is refilled while the commit runs.
    ctx.at(300, () => {
      for (const id of ids.slice(0, setup.blocks / 2)) writeFromBuffer(ctx, setup, id);
      doForceSync(ctx, NODE);
      buffer(ctx, setup.blockSize).fill(0x5a);
    });
    ctx.at(301, () => buffer(ctx, setup.blockSize).fill(0x3c));
    // Committed reads scribbled on too (a store caching committed blocks must not hand out its copy).
    ctx.at(400, () => {
      for (const id of ids) readAndScribble(ctx, id, 0xc3);
    });
    ctx.at(420, () => {
      for (const id of ids) doVerifiedRead(ctx, NODE, id);
    });
    // Round 3 after the power cycle: written, read and scribbled on, committed.
    ctx.at(700, () => {
      for (const id of ids.slice(setup.blocks / 2)) writeFromBuffer(ctx, setup, id);
      for (const id of ids) readAndScribble(ctx, id, 0x96);
    });
    ctx.at(720, () => doForceSync(ctx, NODE));
    ctx.at(800, () => {
      for (const id of ids) doVerifiedRead(ctx, NODE, id);
    });
  };
}

const file: StorageSetup = { backend: 'file', blockSize: 2048, blocks: 8, profile: 'weak' };
const kv: StorageSetup = { backend: 'kv', blockSize: 2048, blocks: 8 };

const powerCycles = (): { events: { kind: 'crash'; atMs: number; node: string; powerLoss: boolean; restartAfterMs: number }[] } => ({
  events: [
    { kind: 'crash', atMs: 500, node: NODE, powerLoss: true, restartAfterMs: 50 },
    { kind: 'crash', atMs: 900, node: NODE, powerLoss: true, restartAfterMs: 50 },
  ],
});

export default [
  scriptedScenario({
    name: 'storage-caller-buffers',
    description:
      "The caller reuses one buffer for every write (refilling it while a commit of it runs) and scribbles over what reads return, as a VFS does with its page buffers; power cycles follow. The store must commit what each write held when it was made: a store keeping the caller's buffer, or handing out its own, commits other bytes.",
    setup: file,
    node: NODE,
    script: script(file),
    faults: powerCycles(),
    checks: [ownReadsCheck],
  }),
  scriptedScenario({
    name: 'storage-caller-buffers-kv',
    description: 'storage-caller-buffers on the kv backend (its transactions may keep the values they were given until they commit).',
    setup: kv,
    node: NODE,
    script: script(kv),
    faults: powerCycles(),
    checks: [ownReadsCheck],
  }),
].map(withLastCopy);
