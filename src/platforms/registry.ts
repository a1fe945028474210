import { z } from 'zod';
import type { PlatformPlugin } from './types.js';
import { eksPlatform } from './eks/index.js';
import { eksClusterSchema } from './eks/schema.js';
import { aksPlatform } from './aks/index.js';
import { aksClusterSchema } from './aks/schema.js';
import { ec2DockerClusterSchema, ec2DockerPlatform } from './ec2-docker/index.js';
import { ecsFargateClusterSchema, ecsFargatePlatform } from './ecs-fargate/index.js';
import { ec2AutoscalerClusterSchema, ec2AutoscalerPlatform } from './ec2-autoscaler/index.js';

/** Every platform, in one typed list. A new platform is a folder plus a line here and in the union below. */
export const PLATFORMS: readonly PlatformPlugin[] = [eksPlatform, aksPlatform, ec2DockerPlatform, ecsFargatePlatform, ec2AutoscalerPlatform];

/** `clusters[]` entries, discriminated by `type`. */
export const clusterSchema = z.discriminatedUnion('type', [eksClusterSchema, aksClusterSchema, ec2DockerClusterSchema, ecsFargateClusterSchema, ec2AutoscalerClusterSchema]);

export function platformFor(type: string): PlatformPlugin {
  const p = PLATFORMS.find((x) => x.type === type);
  if (!p) throw new Error(`internal: no platform plugin for type ${type}`);
  return p;
}

export const PLATFORM_TYPES = PLATFORMS.map((p) => p.type);

/** Optional runner keys contributed by platforms; one key may serve several platforms (same schema). */
export const RUNNER_KEYS: Record<string, z.ZodType> = Object.fromEntries(PLATFORMS.flatMap((p) => Object.entries(p.runnerKeys ?? {})));
