/** Codes of Key Vault token stores, each with a failing and a passing case in test/ops-keyvault.test.ts. */
export const KEY_VAULT_TESTED = ['RF130', 'RF131'] as const;
