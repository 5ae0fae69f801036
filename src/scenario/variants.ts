/**
 * Weakened implementation variants: deliberately broken versions of the implementation, selected with
 * `--variant NAME` (never the default), that prove the checks can fail. Each area declares its own list
 * beside its implementation; this file gathers them.
 */
import { DEMO_VARIANTS } from '../impl/demo/variants.ts';
import { ELECTION_VARIANTS } from '../impl/election/variants.ts';
import { PEER_VARIANTS } from '../impl/peer/variants.ts';
import { STORAGE_VARIANTS } from '../impl/storage/variants.ts';

/** A weakened variant. */
export interface Variant {
  /** Name passed to --variant. */
  name: string;
  /** Area of the implementation it weakens ('demo', 'storage', 'election', 'peer-sync'...). */
  area: string;
  /** What is broken, and which check should catch it. */
  description: string;
}

/** Every known variant. */
export const VARIANTS: readonly Variant[] = [...DEMO_VARIANTS, ...STORAGE_VARIANTS, ...ELECTION_VARIANTS, ...PEER_VARIANTS];

/** Throws an error listing the known variants when `name` is not one ('' is the default implementation). */
export function checkVariant(name: string): void {
  if (name === '' || VARIANTS.some((v) => v.name === name)) return;
  throw new Error(`unknown variant '${name}' (known: ${VARIANTS.map((v) => v.name).join(', ')})`);
}
