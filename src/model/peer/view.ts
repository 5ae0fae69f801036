/**
 * Former path of peer-view.ts, kept only while scenarios/peer/_common.ts still imports it (that file is
 * being edited on another branch). Delete once nothing imports it.
 */
export { ackedWrites } from './peer-view.ts';
