import { describe, expect, it } from 'vitest';
import type { Role } from '../../src/impl/election/types.ts';
import { TAB_ROLES } from '../../src/model/election/api-agrees.ts';

// invariant:api-agrees lives in src/model, which never imports src/impl: it lists the documented roles
// itself. The roles it accepts must be exactly the implementation seam's `Role` (a compile-time check).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same: Same<Role, (typeof TAB_ROLES)[number]> = true;

describe('invariant:api-agrees', () => {
  it("accepts exactly the seam's roles", () => {
    expect(same).toBe(true);
    expect(new Set(TAB_ROLES).size).toBe(TAB_ROLES.length);
  });
});
