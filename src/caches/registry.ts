import { z } from 'zod';
import type { CacheBackend } from './types.js';
import { s3Cache } from './s3/index.js';
import { s3CacheSchema } from './s3/schema.js';
import { azureBlobCache } from './azure-blob/index.js';
import { azureBlobCacheSchema } from './azure-blob/schema.js';

export const CACHE_BACKENDS: readonly CacheBackend[] = [s3Cache, azureBlobCache];

/** `caches[]` entries, discriminated by `type`. */
export const cacheSchema = z.discriminatedUnion('type', [s3CacheSchema, azureBlobCacheSchema]);

export function cacheBackendFor(type: string): CacheBackend {
  const c = CACHE_BACKENDS.find((x) => x.type === type);
  if (!c) throw new Error(`internal: no cache backend for type ${type}`);
  return c;
}
