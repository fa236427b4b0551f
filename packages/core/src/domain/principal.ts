/** The plan tiers of the reference API. Plans unlock features (custom domains) and limits. */
export const PLANS = ['free', 'pro', 'enterprise'] as const;

export type Plan = (typeof PLANS)[number];

export function isPlan(value: unknown): value is Plan {
  return typeof value === 'string' && (PLANS as readonly string[]).includes(value);
}

/** Who is asking. Admins act on every container; users only on containers they own. */
export interface Principal {
  readonly id: string;
  readonly role: 'admin' | 'user';
  /**
   * The caller's plan. Unset means the default: `enterprise` for an admin (an operator is
   * never held back by plan rules), `free` for a user. See `planOf`.
   */
  readonly plan?: Plan;
  /**
   * When the credential that made this principal stops being valid (a JWT's `exp`);
   * unset for credentials that do not expire. What is derived from it (a browser session,
   * a link) must not outlive it.
   */
  readonly expiresAt?: Date;
}

/** The plan that applies to the principal. */
export function planOf(principal: Principal): Plan {
  return principal.plan ?? (principal.role === 'admin' ? 'enterprise' : 'free');
}
