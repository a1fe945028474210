/** Codes test/doctor-machine-keys.test.ts tests with a failing and a passing case: a docker-machine key option set to a placeholder or a variable. */
export const MACHINE_KEY_TESTED = ['RF928'] as const;
