import type { DoctorReader } from './types.js';
import type { ComputeDoctorReader } from './vm.js';
import type { CacheDoctorReader } from '../caches/types.js';
import { PLATFORMS } from '../platforms/registry.js';
import { eksPlatform } from '../platforms/eks/index.js';
import { eksDoctor } from '../platforms/eks/doctor.js';
import { aksPlatform } from '../platforms/aks/index.js';
import { aksDoctor } from '../platforms/aks/doctor.js';
import { ec2DockerPlatform } from '../platforms/ec2-docker/index.js';
import { ec2DockerDoctor } from '../platforms/ec2-docker/doctor.js';
import { ecsFargatePlatform } from '../platforms/ecs-fargate/index.js';
import { ecsFargateDoctor } from '../platforms/ecs-fargate/doctor.js';
import { ec2AutoscalerPlatform } from '../platforms/ec2-autoscaler/index.js';
import { ec2AutoscalerDoctor } from '../platforms/ec2-autoscaler/doctor.js';
import { s3Cache } from '../caches/s3/index.js';
import { s3DoctorReader } from '../caches/s3/doctor.js';
import { azureBlobCache } from '../caches/azure-blob/index.js';
import { azureBlobDoctorReader } from '../caches/azure-blob/doctor.js';

/**
 * How the doctor reads each platform's and cache backend's deployments back, by their `type`.
 *
 * The readers live beside their plugins (src/platforms/<name>/doctor.ts, src/caches/<name>/doctor.ts)
 * but are registered here, not on the plugin: the plugins are what plan, synth and verify load at
 * every start, and a reader pulls in the doctor's modules (HCL evaluation, the VM and Azure
 * readers). Registered here, they are loaded with the doctor only (the CLI's doctor part,
 * scripts/bundle.js). A platform's reader is one line below, as the platform is one line in
 * src/platforms/registry.ts, keyed by the plugin's own `type` (only plugins and registries spell a
 * type: test/aks.test.ts); a platform without one is not inferred yet.
 */
export interface PlatformReaders {
  /** Kubernetes platforms: how a service account's identity binding is read back. */
  readonly doctor?: DoctorReader;
  /** VM platforms: how a runner's launch template, user data or task definition is read back. */
  readonly computeDoctor?: ComputeDoctorReader;
}

const PLATFORM_READERS: ReadonlyMap<string, PlatformReaders> = new Map<string, PlatformReaders>([
  [eksPlatform.type, { doctor: eksDoctor }],
  [aksPlatform.type, { doctor: aksDoctor }],
  [ec2DockerPlatform.type, { computeDoctor: ec2DockerDoctor }],
  [ecsFargatePlatform.type, { computeDoctor: ecsFargateDoctor }],
  [ec2AutoscalerPlatform.type, { computeDoctor: ec2AutoscalerDoctor }],
]);

const CACHE_READERS: ReadonlyMap<string, CacheDoctorReader> = new Map<string, CacheDoctorReader>([
  [s3Cache.type, s3DoctorReader],
  [azureBlobCache.type, azureBlobDoctorReader],
]);

const NONE: PlatformReaders = {};

/** The doctor's readers of platform `type` (none for a platform the doctor does not infer yet). */
export function platformReadersOf(type: string): PlatformReaders {
  return PLATFORM_READERS.get(type) ?? NONE;
}

/** The reader of a `[runners.cache]` section of cache backend `type`, if the doctor has one. */
export function cacheReaderOf(type: string): CacheDoctorReader | undefined {
  return CACHE_READERS.get(type);
}

/** A Kubernetes platform the doctor reads back: its type and cloud, and its reader. */
export interface KubernetesReader {
  readonly type: string;
  readonly cloud: 'aws' | 'azure';
  readonly doctor: DoctorReader;
}

/** The Kubernetes platforms' readers, in the registry's order of the platforms. */
export function kubernetesReaders(): KubernetesReader[] {
  return PLATFORMS.flatMap((p) => {
    const doctor = platformReadersOf(p.type).doctor;
    return doctor !== undefined ? [{ type: p.type, cloud: p.cloud, doctor }] : [];
  });
}

/** The types the registries name: a test checks that each is a registered platform or cache backend. */
export const READER_TYPES = { platforms: [...PLATFORM_READERS.keys()], caches: [...CACHE_READERS.keys()] };
