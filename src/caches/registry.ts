import { z } from 'zod';
import type { CacheBackend } from './types.js';
import { s3Cache } from './s3/index.js';
import { s3CacheSchema } from './s3/schema.js';

export const CACHE_BACKENDS: readonly CacheBackend[] = [s3Cache];

/** `caches[]` entries, discriminated by `type`. */
export const cacheSchema = z.discriminatedUnion('type', [s3CacheSchema]);

export function cacheBackendFor(type: string): CacheBackend {
  const c = CACHE_BACKENDS.find((x) => x.type === type);
  if (!c) throw new Error(`internal: no cache backend for type ${type}`);
  return c;
}
