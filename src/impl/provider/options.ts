/**
 * Options of the two node kinds of the provider sync: a cloud provider (`ProviderServerOptions`) and a
 * library with its sync coordinator (`LibraryOptions`), each resolved once into a config with every field
 * set and validated (a bad field throws a RangeError naming it).
 */
import { PROVIDER_VARIANTS, type ProviderVariant } from './variants.ts';

/** Error rates of a provider, per request. */
export interface ErrorRates {
  /** Probability that a request is answered 429 (default 0). */
  rate429?: number;
  /** Probability that a request is answered 500 or 503 (default 0). */
  rate5xx?: number;
  /** The retry-after of a 429, ms (default 200). */
  retryAfterMs?: number;
}

/** What a caller passes to start a provider. */
export interface ProviderServerOptions {
  /** Entries per listing or change page (default 100). */
  pageSize?: number;
  /** Change feed entries kept; older cursors expire (410) (default 10,000). */
  feedMax?: number;
  /** How long the listing index trails the change feed, ms (default 300). */
  listingLagMs?: number;
  /** Files created at the first start of an empty provider (default 0). */
  seedFiles?: number;
  /** Error rates at start (the workload may change them: `ProviderHandle.setErrors`). */
  errors?: ErrorRates;
}

/** A resolved provider config. */
export interface ProviderServerConfig {
  pageSize: number;
  feedMax: number;
  listingLagMs: number;
  seedFiles: number;
  errors: Required<ErrorRates>;
}

/** What a caller passes to start a library. */
export interface LibraryOptions {
  /** Addresses of the providers this library syncs from. */
  providers: string[];
  /** Weakened variant ('' = correct). */
  variant?: string;
  /** Downloads in flight at once across every provider (default 4). */
  maxConcurrent?: number;
  /** Work items queued at once per job (default 64). */
  queueMax?: number;
  /** Transient failures of one request before the job fails (default 6). */
  retriesMax?: number;
  /** First retry backoff, ms; doubles per attempt (default 50). */
  backoffMs?: number;
  /** Timeout of one request, ms (default 2,000). */
  requestTimeoutMs?: number;
  /** A failed job is requested again after this long, ms (default 500). */
  retryJobMs?: number;
  /** Capacity of the progress broadcast channel (default 16). */
  progressCapacity?: number;
  /** Time the progress view spends on one event, ms (default 1). */
  viewRenderMs?: number;
}

/** A resolved library config. */
export interface LibraryConfig {
  providers: readonly string[];
  variant: ProviderVariant;
  maxConcurrent: number;
  queueMax: number;
  retriesMax: number;
  backoffMs: number;
  requestTimeoutMs: number;
  retryJobMs: number;
  progressCapacity: number;
  viewRenderMs: number;
}

function int(what: string, field: string, v: number | undefined, dflt: number, min: number, max: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < min || x > max) throw new RangeError(`${what} options: ${field} must be an integer in ${min}..${max}, got ${String(v)}`);
  return x;
}

function probability(field: string, v: number | undefined): number {
  const x = v ?? 0;
  if (typeof x !== 'number' || !(x >= 0 && x <= 1)) throw new RangeError(`provider options: ${field} must be a probability in 0..1, got ${String(v)}`);
  return x;
}

/** Validates error rates. */
export function resolveErrorRates(e: ErrorRates = {}): Required<ErrorRates> {
  return {
    rate429: probability('errors.rate429', e.rate429),
    rate5xx: probability('errors.rate5xx', e.rate5xx),
    retryAfterMs: int('provider', 'errors.retryAfterMs', e.retryAfterMs, 200, 1, 600_000),
  };
}

/** Validates and fills in a provider's defaults. */
export function resolveProviderOptions(o: ProviderServerOptions): ProviderServerConfig {
  return {
    pageSize: int('provider', 'pageSize', o.pageSize, 100, 1, 10_000),
    feedMax: int('provider', 'feedMax', o.feedMax, 10_000, 1, 10_000_000),
    listingLagMs: int('provider', 'listingLagMs', o.listingLagMs, 300, 0, 600_000),
    seedFiles: int('provider', 'seedFiles', o.seedFiles, 0, 0, 1_000_000),
    errors: resolveErrorRates(o.errors),
  };
}

/** Validates and fills in a library's defaults. */
export function resolveLibraryOptions(o: LibraryOptions): LibraryConfig {
  if (!Array.isArray(o.providers) || o.providers.length === 0 || o.providers.some((p) => typeof p !== 'string' || p === '')) {
    throw new RangeError('library options: providers must be a non-empty list of addresses');
  }
  if (new Set(o.providers).size !== o.providers.length) throw new RangeError('library options: providers must be distinct');
  // Variants of other areas are ignored (a scenario passes whatever was selected); unknown provider ones throw.
  const variant = o.variant ?? '';
  const known = PROVIDER_VARIANTS.some((v) => v.name === variant);
  if (!known && variant.startsWith('provider-')) throw new RangeError(`library options: variant '${variant}' is not a provider variant`);
  return {
    providers: [...o.providers].sort(),
    variant: (known ? variant : '') as ProviderVariant,
    maxConcurrent: int('library', 'maxConcurrent', o.maxConcurrent, 4, 1, 1_000),
    queueMax: int('library', 'queueMax', o.queueMax, 64, 1, 1_000_000),
    retriesMax: int('library', 'retriesMax', o.retriesMax, 6, 0, 100),
    backoffMs: int('library', 'backoffMs', o.backoffMs, 50, 1, 600_000),
    requestTimeoutMs: int('library', 'requestTimeoutMs', o.requestTimeoutMs, 2_000, 1, 600_000),
    retryJobMs: int('library', 'retryJobMs', o.retryJobMs, 500, 1, 600_000),
    progressCapacity: int('library', 'progressCapacity', o.progressCapacity, 16, 1, 100_000),
    viewRenderMs: int('library', 'viewRenderMs', o.viewRenderMs, 1, 0, 60_000),
  };
}
