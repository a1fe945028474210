/** Codes test/doctor-kustomize-37c.test.ts tests with a failing and a passing case: a strategic-merge patch with no target that matches no object of a closed build. */
export const KUSTOMIZE_PATCH_TESTED = ['RF939'] as const;
/** Codes test/doctor-kustomize-build.test.ts tests with a failing and a passing case: a kustomization `kustomize build` refuses (a path not there, one object twice). */
export const KUSTOMIZE_BUILD_TESTED = ['RF946'] as const;
/** Codes test/doctor-credential-mounts.test.ts tests with a failing and a passing case: a Docker volume that hands jobs a cloud credentials file. */
export const CREDENTIAL_MOUNT_TESTED = ['RF945'] as const;
/** Codes test/doctor-pod-spec-59e.test.ts tests with a failing and a passing case: a pod_spec table with both patch and patch_path. */
export const POD_SPEC_TESTED = ['RF947'] as const;
/** Codes test/doctor-namespace-names-62c.test.ts tests with a failing and a passing case: a namespace (or service account name) Kubernetes refuses. */
export const NAMESPACE_NAME_TESTED = ['RF948'] as const;
