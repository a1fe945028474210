/**
 * Which of `gitlab-runner register`'s flags are booleans, read from gitlab-runner's source
 * (gitlab-org/gitlab-runner 19.4.0, commit d79f3e7b: commands/register.go RegisterCommand and the
 * structs it embeds or names with a `namespace:` tag: common/config.go RunnerConfig, RunnerSettings,
 * DockerConfig, KubernetesConfig, SshConfig, ParallelsConfig, VirtualBoxConfig, CustomBuildDir;
 * helpers/docker/credentials.go Credentials; cache/cacheconfig/cacheconfig.go Config, CacheS3Config).
 *
 * register's flags are built by golang-cli-helpers (GetFlagsFromStruct): every field with a
 * `long:` (or `short:`) tag becomes a flag named by its namespaces and the tag joined with `-`
 * (`docker` + `privileged` → `docker-privileged`); an embedded struct adds its fields under the
 * same namespace. A field of type `bool` gives a flag whose value reports itself boolean to Go's
 * flag package (IsBoolFlag), so `--flag` alone sets it and the next word is never its value
 * (`--flag=false` still sets one); urfave/cli still moves that next word next to it
 * (reorderArgs), where Go's flag.Parse stops at it.
 */
export const REGISTER_BOOLEAN_FLAGS: ReadonlySet<string> = new Set([
  // commands/register.go (`short:"n"` is --non-interactive).
  'non-interactive', 'n', 'leave-runner', 'run-untagged', 'locked', 'paused',
  // common/config.go RunnerSettings.
  'debug-trace-disabled', 'use-slot-cgroups',
  // cache/cacheconfig (namespace cache, cache-s3).
  'cache-shared', 'cache-s3-insecure', 'cache-s3-accelerate', 'cache-s3-disable-assume-role-credentials-caching',
  // DockerConfig (namespace docker) and the Credentials it embeds.
  'docker-tlsverify', 'docker-privileged', 'docker-disable-entrypoint-overwrite', 'docker-oom-kill-disable', 'docker-disable-cache', 'docker-volume-keep', 'docker-enable-ipv6',
  // ParallelsConfig, VirtualBoxConfig.
  'parallels-disable-snapshots', 'virtualbox-disable-snapshots',
  // KubernetesConfig (namespace kubernetes).
  'kubernetes-bearer_token_overwrite_allowed', 'kubernetes-namespace_per_job', 'kubernetes-use-service-account-image-pull-secrets', 'kubernetes-helper-image-autoset-arch-and-os',
]);

/*
 * Not in the list: the flags of `*bool` fields (a setting whose absence differs from false), e.g.
 * --docker-services_privileged, --kubernetes-privileged, --kubernetes-allow-privilege-escalation,
 * --safe-directory-checkout, --clean-git-config, --cache-s3-dual-stack, --cache-s3-path-style,
 * --ssh-disable-strict-host-key-checking, --strict-check-interval, --proxy-exec,
 * --custom_build_dir-enabled and the kubernetes-*_container_security_context-* ones.
 * golang-cli-helpers leaves such a pointer nil when it builds the flags, and its IsBoolFlag looks at
 * the value the pointer holds, so the flag is not reported boolean: Go's flag package takes the next
 * word as its value (`--kubernetes-privileged true` sets it). This reader therefore never takes such a
 * flag for one that stops the flags (no RF927 after it), and reads a next word that starts with `-`
 * as the next flag, as for any flag it does not know to take a value.
 */
