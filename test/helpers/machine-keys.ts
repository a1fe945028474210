/** Codes test/doctor-machine-keys.test.ts tests with a failing and a passing case: a docker-machine key option set to a placeholder or a variable. */
export const MACHINE_KEY_TESTED = ['RF928'] as const;
/** Codes test/doctor-credential-placeholders.test.ts tests with a failing and a passing case: a cloud credential key set to AWS's example key or a variable's name. */
export const CREDENTIAL_NOTE_TESTED = ['RF933'] as const;
