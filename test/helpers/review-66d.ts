/**
 * Codes of helper 66d (stop 66) with a failing and a passing case: RF703 in test/review-66d.test.ts,
 * RF959 in test/doctor-aws-instance.test.ts.
 */
export const REVIEW_66D_TESTED = ['RF703', 'RF959'] as const;
