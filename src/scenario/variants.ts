/**
 * Weakened implementation variants: deliberately broken versions of the implementation, selected with
 * `--variant NAME` (never the default), that prove the checks can fail. Each area declares its own list
 * beside its implementation; this file gathers them.
 */
import { CS_VARIANTS } from '../impl/clientserver/variants.ts';
import { DEMO_VARIANTS } from '../impl/demo/variants.ts';
import { ELECTION_VARIANTS } from '../impl/election/variants.ts';
import { PEER_VARIANTS } from '../impl/peer/variants.ts';
import { PROVIDER_VARIANTS } from '../impl/provider/variants.ts';
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
export const VARIANTS: readonly Variant[] = [...DEMO_VARIANTS, ...STORAGE_VARIANTS, ...ELECTION_VARIANTS, ...PEER_VARIANTS, ...PROVIDER_VARIANTS, ...CS_VARIANTS];

/** Throws an error listing the known variants when `name` is not one ('' is the default implementation). */
export function checkVariant(name: string): void {
  if (name === '' || VARIANTS.some((v) => v.name === name)) return;
  throw new Error(`unknown variant '${name}' (known: ${VARIANTS.map((v) => v.name).join(', ')})`);
}

/** The variant area of each folder of the project's scenarios/ (a scenario's default variant areas). */
const AREA_OF_FOLDER: Readonly<Record<string, string>> = { demo: 'demo', storage: 'storage', election: 'election', peer: 'peer-sync', provider: 'provider-sync', clientserver: 'client-server' };

/**
 * The variant areas a scenario exercises: its `variantAreas`, else the area of its folder under the
 * project's scenarios/ (undefined when unknown: a scenario of another folder that declares none).
 */
export function variantAreasOf(s: { variantAreas?: string[] }, file: string | undefined, scenariosRoot: string): readonly string[] | undefined {
  if (s.variantAreas !== undefined) return s.variantAreas;
  if (file === undefined) return undefined;
  const rel = file.startsWith(scenariosRoot) ? file.slice(scenariosRoot.length).replace(/^[/\\]+/, '') : '';
  const area = AREA_OF_FOLDER[rel.split(/[/\\]/)[0] ?? ''];
  return area === undefined ? undefined : [area];
}

/**
 * Why `variant` does not apply to a scenario with `areas` (null when it does, or when that is unknown):
 * a variant weakens one area's implementation, and a scenario of another area runs the real one.
 */
export function variantMismatch(variant: string, scenario: string, areas: readonly string[] | undefined): string | null {
  if (variant === '' || areas === undefined) return null;
  const v = VARIANTS.find((x) => x.name === variant);
  if (v === undefined || areas.includes(v.area)) return null;
  return `variant ${variant} weakens the ${v.area} area, which ${scenario} does not exercise (${areas.join(', ')}): its runs are of the real implementation`;
}
