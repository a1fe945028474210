import { describe, expect, it } from 'vitest';
import { seeded } from './helpers/rng.js';
import type { TerraformRoot } from '../src/emit/artifacts.js';
import { providerDefaultTags, resolveValue, resourceTags } from '../src/verify/aws-docs.js';

/**
 * Stop 55 (55b): resourceTags merges the provider's default_tags and a resource's own tags with for-in
 * and lists grown in place instead of Object.entries pairs and a list copied per key. Its answers
 * (the tags, in their order, and the keys not shown, in theirs) must be what the entry-pair merge
 * gave: checked against that merge, written out here, on seeded roots with keys that differ only in
 * case, integer-like keys, references, escapes, numbers and maps that are not literal.
 */

const asMap = (v: unknown): Record<string, unknown> | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

function literalText(s: string): string | undefined {
  if (!s.includes('${') && !s.includes('%{')) return s;
  const rest = s.replace(/\$\$\{|%%\{/g, '');
  return rest.includes('${') || rest.includes('%{') ? undefined : s.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
}

function tagValue(root: TerraformRoot, v: unknown): string | undefined {
  const r = typeof v === 'string' && v.includes('${') ? resolveValue(root, v) : v;
  if (typeof r === 'string') return literalText(r);
  return typeof r === 'number' || typeof r === 'boolean' ? String(r) : undefined;
}

/** The merge as it was before stop 55. */
function reference(root: TerraformRoot, body: Record<string, unknown>, address?: string): { tags: Record<string, string>; unknown: string[] } {
  const defaults = providerDefaultTags(root, body, address);
  const own = body.tags === undefined || body.tags === null ? {} : asMap(body.tags);
  const tags: Record<string, string> = {};
  const unknownTags = new Set<string>();
  if (defaults === undefined || own === undefined) unknownTags.add('*');
  const merged = new Map<string, unknown>(Object.entries(defaults ?? {}));
  for (const [k, v] of Object.entries(own ?? {})) merged.set(k, v);
  const byLower = new Map<string, string[]>();
  for (const k of merged.keys()) byLower.set(k.toLowerCase(), [...(byLower.get(k.toLowerCase()) ?? []), k]);
  for (const [lk, keys] of byLower) {
    const value = keys.length === 1 ? tagValue(root, merged.get(keys[0]!)) : undefined;
    if (value === undefined) unknownTags.add(lk);
    else tags[keys[0]!] = value;
  }
  return { tags, unknown: [...unknownTags] };
}

const KEYS = ['team', 'Team', 'TEAM', 'env', '10', '2', 'managed-by', 'Owner', 'owner', 'cost'];
const VALUES: unknown[] = ['a', 'b', 7, true, null, '${aws_iam_role.r.name}', '${var.x}', '$${literal}', '${aws_s3_bucket.b.bucket}', ['list'], { m: 1 }];


function tagMap(next: () => number): unknown {
  const r = next();
  if (r < 0.1) return '${var.tags}';
  if (r < 0.15) return undefined;
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 5); i > 0; i--) o[KEYS[Math.floor(next() * KEYS.length)]!] = VALUES[Math.floor(next() * VALUES.length)];
  return o;
}

describe('resourceTags: the for-in merge answers as the entry-pair merge did', () => {
  it('agrees on 3,000 seeded roots and resources', () => {
    const next = seeded(55);
    let shown = 0;
    let unknown = 0;
    for (let n = 0; n < 3000; n++) {
      const defaults = tagMap(next);
      const provider: Record<string, unknown> = { region: 'eu-central-1', ...(defaults !== undefined ? { default_tags: next() < 0.5 ? { tags: defaults } : [{ tags: defaults }] } : {}) };
      const root = {
        provider: { aws: next() < 0.5 ? provider : [provider] },
        resource: { aws_iam_role: { r: { name: 'role-r' } }, aws_s3_bucket: { b: { bucket: 'bucket-b' } } },
      } as unknown as TerraformRoot;
      const body: Record<string, unknown> = { name: 'x', tags: tagMap(next) };
      const got = resourceTags(root, body, 'aws_iam_role.x');
      const want = reference(root, body, 'aws_iam_role.x');
      expect(Object.entries(got.tags)).toEqual(Object.entries(want.tags));
      expect([...got.unknownTags]).toEqual(want.unknown);
      shown += Object.keys(want.tags).length;
      unknown += want.unknown.length;
    }
    expect(shown).toBeGreaterThan(1000);
    expect(unknown).toBeGreaterThan(1000);
  });
});
