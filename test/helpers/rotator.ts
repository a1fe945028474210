/** Codes of the token rotator (operations.rotation), each with a failing and a passing case in test/ops-rotator.test.ts. */
export const ROTATOR_TESTED = ['RF124', 'RF125', 'RF126', 'RF127'] as const;
/** Codes of the rotator's Kubernetes identity, each with a failing and a passing case in test/ops-rotator-kube.test.ts. */
export const ROTATOR_KUBE_TESTED = ['RF126', 'RF127', 'RF128', 'RF129', 'RF134'] as const;
/** Codes of the rotator's managed identity on AKS, each with a failing and a passing case in test/ops-rotator-aks.test.ts. */
export const ROTATOR_AKS_TESTED = ['RF125', 'RF127', 'RF128', 'RF129', 'RF132', 'RF133'] as const;
