/** Codes whose failing and passing cases are in test/review-66d.test.ts (helper 66d, stop 66). */
export const REVIEW_66D_TESTED = ['RF703'] as const;
