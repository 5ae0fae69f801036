/**
 * Former path of storage-oracle.ts, kept only while scenarios/storage/_harness.ts still imports it (that
 * file is being edited on another branch). Delete once nothing imports it.
 */
export { ORACLE_INVARIANTS, StorageOracle, type ExpectedBlock } from './storage-oracle.ts';
