/**
 * What the provider checks share: the scenario's configuration they judge against, and the type of a
 * trace record's untyped `data`.
 */
/** A trace record's `data`. */
export type D = Record<string, unknown>;

/** Who is who, and the bounds the library was configured with. */
export interface ProviderCheckOptions {
  libraries: readonly string[];
  providers: readonly string[];
  queueMax: number;
  maxConcurrent: number;
  /** The library's request timeout (invariant:closes-when-overdue); 2,000 ms (the default) when absent. */
  requestTimeoutMs?: number;
}
