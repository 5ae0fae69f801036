/**
 * Network settings: the per-link fault parameters (`LinkFaults`), the simulation-wide `NetSpec` (all
 * optional), and their validation into a fully resolved `NetConfig` (all set). Bad settings throw a
 * RangeError naming the field.
 *
 * Latency of one message on a link, in ms:
 *   latencyMs + min(exponential(mean jitterMs), 10 * jitterMs)
 *             + (with probability tailProbability) min(exponential(mean tailMs), 10 * tailMs)
 * so most messages take about latencyMs + jitterMs and a few take much longer (the long tail).
 */

/** Behaviour of one direction of a link. Probabilities are per datagram. */
export interface LinkFaults {
  /** Fixed part of the latency, ms. */
  latencyMs: number;
  /** Mean of the exponential part of the latency, ms. */
  jitterMs: number;
  /** Probability (per message) of a tail spike. */
  tailProbability: number;
  /** Mean of a tail spike, ms. */
  tailMs: number;
  /** Probability that a datagram is lost. */
  lossRate: number;
  /** Probability that a datagram is delivered twice. */
  dupRate: number;
  /** Probability that a datagram gets an extra random delay (up to 4x its normal latency), reordering it. */
  reorderRate: number;
}

/** Network settings of a simulation (all optional): default link behaviour plus limits. */
export interface NetSpec extends Partial<LinkFaults> {
  /** Per-link overrides, keyed 'A->B' (one direction). */
  links?: Record<string, Partial<LinkFaults>>;
  /** A connection whose traffic has been held (partition, clog, stall) this long is reset. Default 10,000. */
  connTimeoutMs?: number;
  /** Timeout of `connect` when the caller gives none, ms. Default 5,000. */
  connectTimeoutMs?: number;
  /** Messages queued in one direction of a connection before the run fails. Default 100,000. */
  queueLengthMax?: number;
  /** Messages buffered while a connection has no message handler before the run fails. Default 10,000. */
  bufferLengthMax?: number;
  /** Datagrams held on one clogged link; more are dropped (traced). Default 10,000. */
  clogLengthMax?: number;
}

/** A NetSpec with every field resolved. */
export interface NetConfig {
  link: LinkFaults;
  links: Map<string, Partial<LinkFaults>>;
  connTimeoutMs: number;
  connectTimeoutMs: number;
  queueLengthMax: number;
  bufferLengthMax: number;
  clogLengthMax: number;
}

/** Default link: a fast LAN with a small long tail and no datagram faults. */
export const DEFAULT_LINK: Readonly<LinkFaults> = Object.freeze({
  latencyMs: 2,
  jitterMs: 1,
  tailProbability: 0.01,
  tailMs: 50,
  lossRate: 0,
  dupRate: 0,
  reorderRate: 0,
});

/** Largest latency part accepted, ms (one hour). */
export const LATENCY_MS_MAX = 3_600_000;

const LINK_FIELDS: readonly (keyof LinkFaults)[] = [
  'latencyMs',
  'jitterMs',
  'tailProbability',
  'tailMs',
  'lossRate',
  'dupRate',
  'reorderRate',
];
const PROBABILITIES = new Set<string>(['tailProbability', 'lossRate', 'dupRate', 'reorderRate']);
const SPEC_FIELDS = new Set<string>([
  ...LINK_FIELDS,
  'links',
  'connTimeoutMs',
  'connectTimeoutMs',
  'queueLengthMax',
  'bufferLengthMax',
  'clogLengthMax',
]);

/** Checks a partial LinkFaults (unknown fields, ranges); `where` prefixes field names in errors. */
export function checkLinkFaults(faults: Partial<LinkFaults>, where: string): Partial<LinkFaults> {
  if (faults === null || typeof faults !== 'object') throw new RangeError(`${where} must be an object`);
  const out: Partial<LinkFaults> = {};
  for (const [key, value] of Object.entries(faults)) {
    if (!(LINK_FIELDS as readonly string[]).includes(key)) {
      throw new RangeError(`${where}.${key} is not a link setting (expected one of ${LINK_FIELDS.join(', ')})`);
    }
    if (value === undefined) continue;
    checkLinkField(key, value, where);
    out[key as keyof LinkFaults] = value as number;
  }
  return out;
}

function checkLinkField(key: string, value: unknown, where: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`${where}.${key} must be a finite number, got ${String(value)}`);
  }
  if (PROBABILITIES.has(key)) {
    if (value < 0 || value > 1) throw new RangeError(`${where}.${key} must be a probability in [0, 1], got ${value}`);
  } else if (value < 0 || value > LATENCY_MS_MAX) {
    throw new RangeError(`${where}.${key} must be in [0, ${LATENCY_MS_MAX}] ms, got ${value}`);
  }
}

/** Validates a NetSpec and fills in the defaults. */
export function resolveNetSpec(spec: NetSpec): NetConfig {
  if (spec === null || typeof spec !== 'object') throw new RangeError('net options must be an object');
  for (const key of Object.keys(spec)) {
    if (!SPEC_FIELDS.has(key)) throw new RangeError(`net.${key} is not a network option`);
  }
  const linkPart: Partial<LinkFaults> = {};
  for (const f of LINK_FIELDS) if (spec[f] !== undefined) linkPart[f] = spec[f];
  const link = { ...DEFAULT_LINK, ...checkLinkFaults(linkPart, 'net') };
  const links = new Map<string, Partial<LinkFaults>>();
  for (const [key, faults] of Object.entries(spec.links ?? {})) {
    parseLinkKey(key);
    links.set(key, checkLinkFaults(faults, `net.links['${key}']`));
  }
  return {
    link,
    links,
    connTimeoutMs: positive(spec.connTimeoutMs, 10_000, 'net.connTimeoutMs'),
    connectTimeoutMs: positive(spec.connectTimeoutMs, 5_000, 'net.connectTimeoutMs'),
    queueLengthMax: count(spec.queueLengthMax, 100_000, 'net.queueLengthMax'),
    bufferLengthMax: count(spec.bufferLengthMax, 10_000, 'net.bufferLengthMax'),
    clogLengthMax: count(spec.clogLengthMax, 10_000, 'net.clogLengthMax'),
  };
}

/** Splits a link key 'A->B' into its ends; throws naming the key when malformed. */
export function parseLinkKey(key: string): { from: string; to: string } {
  const parts = key.split('->');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    throw new RangeError(`net.links key '${key}' is malformed: expected 'FROM->TO', e.g. 'A->B'`);
  }
  return { from: parts[0]!, to: parts[1]! };
}

/** A positive finite number of ms (default when undefined). */
export function positive(value: number | undefined, dflt: number, field: string): number {
  if (value === undefined) return dflt;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > LATENCY_MS_MAX) {
    throw new RangeError(`${field} must be a number of ms in (0, ${LATENCY_MS_MAX}], got ${String(value)}`);
  }
  return value;
}

function count(value: number | undefined, dflt: number, field: string): number {
  if (value === undefined) return dflt;
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${field} must be a positive integer, got ${value}`);
  return value;
}
