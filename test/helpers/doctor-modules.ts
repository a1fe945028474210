/** Codes whose failing and passing cases are in test/doctor-modules.test.ts (which checks this list against its tables). */
export const MODULE_TESTED = ['RF914', 'RF915', 'RF916'];
