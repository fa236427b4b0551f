import type { Plan } from '../domain/principal';

/** What a plan allows. */
export interface PlanLimits {
  readonly maxForwardsPerContainer: number;
  /** Whether forwards may answer on a custom domain of the caller's. */
  readonly customDomains: boolean;
}

export type PlanTable = Readonly<Record<Plan, PlanLimits>>;

/** Overrides per plan, as configuration gives them; what is not given takes the default. */
export type PlanOverrides = Partial<Record<Plan, Partial<PlanLimits>>>;

/**
 * The plans of the reference API: custom domains are for Pro and Enterprise. Every plan
 * gets the same cap (`defaultMax`) unless configuration says otherwise.
 */
export function planTable(defaultMax: number, overrides: PlanOverrides = {}): PlanTable {
  const base = (plan: Plan, customDomains: boolean): PlanLimits => ({
    maxForwardsPerContainer: defaultMax,
    customDomains,
    ...overrides[plan],
  });
  return { free: base('free', false), pro: base('pro', true), enterprise: base('enterprise', true) };
}

/** The plans that allow custom domains, for messages ("needs the pro or enterprise plan"). */
export function plansWithCustomDomains(table: PlanTable): Plan[] {
  return (Object.keys(table) as Plan[]).filter((plan) => table[plan].customDomains);
}
