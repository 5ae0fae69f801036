/**
 * Node's system errors as the Env's `EnvError` codes.
 */
import { EnvError, type EnvErrorCode } from '../../impl/env.ts';

/** Node error codes that keep their name at the Env seam; everything else becomes EIO. */
const KEPT: Readonly<Record<string, EnvErrorCode>> = {
  ENOENT: 'ENOENT',
  EEXIST: 'EEXIST',
  ENOTDIR: 'ENOTDIR',
  EISDIR: 'EISDIR',
  ENOTEMPTY: 'ENOTEMPTY',
  ENOSPC: 'ENOSPC',
  EDQUOT: 'ENOSPC',
  ECONNREFUSED: 'ECONNREFUSED',
  ETIMEDOUT: 'ETIMEDOUT',
};

/** The Node error code of `error` (e.g. 'ENOENT'), or undefined. */
export function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * `error` as the Env reports it: EnvErrors and argument errors (TypeError, RangeError) pass through, Node
 * system errors become an EnvError with the mapped code (EIO when there is none), prefixed with `what`.
 */
export function toEnvError(error: unknown, what: string): Error {
  if (error instanceof EnvError || error instanceof TypeError || error instanceof RangeError) return error;
  const code = codeOf(error);
  const mapped: EnvErrorCode = (code !== undefined ? KEPT[code] : undefined) ?? 'EIO';
  const detail = error instanceof Error ? error.message : String(error);
  return new EnvError(mapped, `${what}: ${detail}`);
}
