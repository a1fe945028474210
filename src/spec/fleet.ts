import type { z } from 'zod';
import { buildFleetSchema } from './schema.js';
import { clusterSchema, RUNNER_KEYS } from '../platforms/registry.js';
import { cacheSchema } from '../caches/registry.js';

/** The complete fleet schema: the shared parts plus every platform's and cache backend's entries. */
export const fleetSchema = buildFleetSchema(clusterSchema, cacheSchema, RUNNER_KEYS);

/** What a person writes (defaults optional). */
export type WrittenSpec = z.input<typeof fleetSchema>;
/** The spec with every default applied. */
export type ParsedSpec = z.output<typeof fleetSchema>;

/** Typed helper for fleets written in TypeScript: returns the spec unchanged. */
export function defineFleet(spec: WrittenSpec): WrittenSpec {
  return spec;
}
