/**
 * Former path of last-copy-kept.ts, kept only while scenarios/storage/_harness.ts still imports it (that
 * file is being edited on another branch). Delete once nothing imports it.
 */
export { lastCopyCheck } from './last-copy-kept.ts';
