/**
 * Async primitives for implementation code (seed items 6-8): tasks, a FIFO semaphore, Notify, cancellation
 * tokens, broadcast and watch channels, and a cancellable sleep. None of them polls or spins: every wait
 * is a promise resolved by the event that ends it, and time comes only from `Env` timers, so they behave
 * the same under the simulator and on the Node runtime. Semantics: docs/async.md.
 */
export { Cancelled, CancellationToken } from './cancellation.ts';
export { spawn, type TaskHandle } from './task.ts';
export { Semaphore, type Permit, type SemaphoreOptions } from './semaphore.ts';
export { Notify, type NotifyOptions } from './notify.ts';
export { broadcast, type BroadcastSender, type BroadcastReceiver, type BroadcastOptions, type Recv } from './broadcast.ts';
export { watch, type WatchSender, type WatchReceiver } from './watch.ts';
export { sleep } from './sleep.ts';
