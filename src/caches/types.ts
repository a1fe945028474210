import type { z } from 'zod';
import type { Finding } from '../spec/findings.js';
import type { ResolvedCache, ResolvedFleet, RunnerCacheRef } from '../model/types.js';
import type { TerraformResources, TerraformRoot } from '../emit/artifacts.js';
import type { Statement } from '../verify/iam/types.js';
import type { FleetDocuments } from '../emit/types.js';
import type { FleetIntent, IntentRunner } from '../verify/intent.js';
import type { AzureSpec } from '../spec/azure.js';

/** A cache backend (S3, Azure Blob): its spec entry, its cloud resources, its runner config, its proofs. */
/** How `runner-fleet doctor` reads a `[runners.cache]` section of this backend back. */
export interface CacheDoctorReader {
  /**
   * The cache a `[runners.cache]` section names, or undefined when it is not this backend's:
   * `identity` is the same for the same storage, `spec` a `caches[]` entry of this backend, `at`
   * the path of the naming key inside the section, `region` the cloud region the section names (the
   * doctor takes it for the fleet when nothing else names one). `invalid` when the section is this
   * backend's but names storage the backend's schema refuses (the doctor reports it at `at`, with
   * `fix` if given, and reads no cache).
   */
  fromToml(section: unknown, root: TerraformRoot, generatedByRunnerFleet: boolean): { identity: string; name: string; spec: Record<string, unknown>; at: string[]; summary: string; region?: string } | { invalid: { at: string[]; message: string; fix?: string } } | undefined;
}

export interface CacheBackend {
  readonly type: string;
  readonly cloud: 'aws' | 'azure';
  readonly title: string;
  /** Schema of a `caches[]` entry; must have `name` and `type: z.literal(<type>)`. */
  readonly schema: z.ZodObject;
  // How the doctor reads this backend's `config.toml` section back (a CacheDoctorReader, in
  // src/caches/<name>/doctor.ts) is in the doctor's registry, src/doctor/platform-readers.ts, loaded
  // with the doctor only (see PlatformPlugin).
  checkSpec(fleet: { aws?: { region: string } | undefined; azure?: AzureSpec | undefined }, cache: ResolvedCache['spec'], cachePath: string): Finding[];
  /** What the runner manager needs to sign cache URLs for one runner. */
  managerStatements(fleet: ResolvedFleet, cache: ResolvedCache, ref: RunnerCacheRef): Statement[];
  emitTerraformAws(fleet: ResolvedFleet, cache: ResolvedCache): TerraformResources;
  /** Resources for `terraform/azure/main.tf.json` (Azure backends). */
  emitTerraformAzure?(fleet: ResolvedFleet, cache: ResolvedCache): TerraformResources;
  /** How the diagram names what one runner reaches in this cache. Default: `<bucket or name>/<path>/*`. */
  diagramLabel?(cache: ResolvedCache, ref: RunnerCacheRef): string;
  /** `[runners.cache]` for one runner. */
  toml(fleet: ResolvedFleet, cache: ResolvedCache, ref: RunnerCacheRef): Record<string, unknown>;
  /** Posture of the cache itself, from the emitted documents. */
  verifyCache(docs: FleetDocuments, intent: FleetIntent, cache: ResolvedCache, cachePath: string): Finding[];
  /** Per-runner proofs: the manager reaches its prefix and nothing else; jobs do not reach the cache. */
  verifyRunner(docs: FleetDocuments, intent: FleetIntent, cache: ResolvedCache, runner: IntentRunner, runnerPath: string): Finding[];
  /**
   * AWS actions on the cache's own resources that change who may reach it (a bucket policy, ACL or
   * public access block), as `[action, resource ARN]`: a job role that may do one can grant itself
   * the cache, so the job rules count them as escalation. Constant in the fleet's size.
   */
  accessControlProbes?(intent: FleetIntent, cache: ResolvedCache): readonly (readonly [string, string])[];
}
