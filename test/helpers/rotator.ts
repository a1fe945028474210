/** Codes of the token rotator (operations.rotation), each with a failing and a passing case in test/ops-rotator.test.ts. */
export const ROTATOR_TESTED = ['RF124', 'RF125', 'RF126', 'RF127'] as const;
