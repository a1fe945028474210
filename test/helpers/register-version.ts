/** Codes test/doctor-register-pinned-version.test.ts tests with a failing and a passing case: a register flag the installed gitlab-runner has and a later one removed. */
export const REGISTER_VERSION_TESTED = ['RF934'] as const;
