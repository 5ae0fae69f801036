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
