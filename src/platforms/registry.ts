import { z } from 'zod';
import type { PlatformPlugin } from './types.js';
import { eksPlatform } from './eks/index.js';
import { eksClusterSchema } from './eks/schema.js';
import { aksPlatform } from './aks/index.js';
import { aksClusterSchema } from './aks/schema.js';

/** Every platform, in one typed list. A new platform is a folder plus a line here and in the union below. */
export const PLATFORMS: readonly PlatformPlugin[] = [eksPlatform, aksPlatform];

/** `clusters[]` entries, discriminated by `type`. */
export const clusterSchema = z.discriminatedUnion('type', [eksClusterSchema, aksClusterSchema]);

export function platformFor(type: string): PlatformPlugin {
  const p = PLATFORMS.find((x) => x.type === type);
  if (!p) throw new Error(`internal: no platform plugin for type ${type}`);
  return p;
}

export const PLATFORM_TYPES = PLATFORMS.map((p) => p.type);
