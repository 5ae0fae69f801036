/**
 * invariant:library-matches-provider — at the end (after liveness), every library equals every
 * provider's latest durable files. Evidence: provider-truth.ts.
 */
import { devicesOf, type TraceCheck } from '../check.ts';
import { differences, truthOf } from './provider-truth.ts';
import type { ProviderCheckOptions } from './check-options.ts';

/** At the end, every library equals every provider's latest files. */
export function matchesProviderCheck(options: ProviderCheckOptions): TraceCheck {
  const name = 'invariant:library-matches-provider';
  return {
    onTrace: true,
    name,
    covers: [name],
    setup: (ctx) => {
      devicesOf(ctx);
      truthOf(ctx);
    },
    final(ctx) {
      const truth = truthOf(ctx);
      for (const lib of options.libraries) {
        const device = devicesOf(ctx).get(lib) ?? lib;
        for (const p of options.providers) {
          ctx.exercised(name);
          const diff = differences(truth, device, p, truth.head.get(p) ?? 0);
          if (diff.length > 0) return ctx.fail('correctness', name, `at the end ${lib} does not hold ${p}'s files: ${diff.join('; ')}`);
        }
      }
    },
  };
}
