/**
 * The error every plug-in seam throws when a plugged-in implementation breaks the seam's contract (a
 * factory that is no function, a class given instead of a factory, a result without the interface's
 * methods). Thrown inside the node's start, so the run ends as a `crash` verdict whose message names the
 * seam and what is wrong; `seam` names it for code (`instanceof SeamError`).
 */
export class SeamError extends TypeError {
  override name = 'SeamError';
  constructor(
    readonly seam: string,
    message: string,
  ) {
    super(`${seam} seam: ${message}`);
  }
}

/**
 * Why `factory` cannot be called as a factory, or null: it is no function, or it is a class (a class is a
 * function too, but calling it throws a TypeError that names no seam). `use` says what to pass instead.
 */
export function notAFactory(factory: unknown, expected: string, use: (className: string) => string): string | null {
  if (typeof factory !== 'function') return `expected ${expected}, got ${factory === null ? 'null' : typeof factory}`;
  if (/^class[\s{]/.test(Function.prototype.toString.call(factory))) {
    const name = factory.name === '' ? 'MyClass' : factory.name;
    return `got the class ${name}, not ${expected}: pass ${use(name)}`;
  }
  return null;
}

/** What a value is, for a refusal's message: 'null', 'an array' or its typeof. */
export const describeValue = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/**
 * `value` when it is an object with every one of `methods`, else a SeamError naming the seam, `what` the
 * factory should have made (e.g. 'an Election') and the methods it lacks.
 */
export function withMethods<T>(seam: string, what: string, value: unknown, methods: readonly string[]): T {
  if (typeof value !== 'object' || value === null) throw new SeamError(seam, `the factory returned ${describeValue(value)}, not ${what} (methods: ${methods.join(', ')})`);
  const missing = methods.filter((m) => typeof (value as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) throw new SeamError(seam, `the factory's ${what.replace(/^an? /, '')} lacks ${missing.join(', ')} (${what} has ${methods.join(', ')})`);
  return value as T;
}
