import { describe, expect, it } from 'vitest';
import { seeded } from './helpers/rng.js';
import type { Artifact } from '../src/emit/artifacts.js';
import { scanArtifacts } from '../src/verify/secrets.js';

/**
 * Stop 55 (55b): the credential walk of scanArtifacts steps through arrays by index and objects by
 * for-in (own keys only) instead of for-of and Object.keys. Its findings and the template texts it
 * collects, in their order, must be what the Object.keys walk gave: checked on seeded documents
 * with integer-like keys (which both orders put first), keys holding `${`, credentials by shape,
 * by key and by `NAME=value`, nested arrays and empty values; and an inherited key is not visited.
 */

const AKIA = 'AKIAQ7W3E9R2T5Y8U1I4';
const SECRET = 'Zq8vT2mN5xR7pK3wL9bY4cJ6hF1dG0sA2eU8iO5t';
const KEYS = ['name', '10', '2', 'aws_secret_access_key', 'AWS_ACCESS_KEY_ID', '${aws_iam_role.x.arn}', 'tags', '0', 'env', 'b', 'a', '${var.y}'];
const VALUES = ['plain', AKIA, SECRET, `AWS_SECRET_ACCESS_KEY=${SECRET}`, '${aws_s3_bucket.c.arn}', 'glrt-Qm3xK8pV2wZ7rT5nB9cJ4h', 'x=${local.z}', '', 'NAME=value'];


function document(next: () => number, depth: number): unknown {
  const r = next();
  if (depth > 3 || r < 0.35) return r < 0.05 ? null : r < 0.1 ? 42 : r < 0.12 ? undefined : VALUES[Math.floor(next() * VALUES.length)];
  if (r < 0.55) return Array.from({ length: Math.floor(next() * 4) }, () => document(next, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 5); i > 0; i--) o[KEYS[Math.floor(next() * KEYS.length)]!] = document(next, depth + 1);
  return o;
}

/** The walk as it was before stop 55 (for-of, Object.keys), collecting what scanArtifacts reports and collects. */
function reference(artifacts: readonly Artifact[]): { said: string[]; texts: string[][] } {
  const said: string[] = [];
  const texts: string[][] = [];
  for (const a of artifacts) {
    const mine: string[] = [];
    // The findings come from scanArtifacts itself on each string alone; the order is what is checked here.
    const walk = (v: unknown, key?: string): void => {
      if (typeof v === 'string') {
        if (v.includes('${')) mine.push(v);
        for (const f of scanArtifacts([{ path: a.path, format: 'json', content: key === undefined ? v : { [key]: v } }]).findings) said.push(f.message);
        return;
      }
      if (v === null || typeof v !== 'object') return;
      if (Array.isArray(v)) for (const x of v) walk(x);
      else {
        for (const k of Object.keys(v)) {
          const x = (v as Record<string, unknown>)[k];
          if (k.includes('${') && x !== undefined && typeof x !== 'function' && typeof x !== 'symbol') mine.push(k);
          walk(x, k);
        }
      }
    };
    walk(a.content);
    texts.push(mine);
  }
  return { said, texts };
}

describe('scanArtifacts: the walk visits what the Object.keys walk did, in its order', () => {
  it('findings and template texts agree on 400 seeded documents', () => {
    const next = seeded(55);
    let findings = 0;
    let templates = 0;
    for (let n = 0; n < 400; n++) {
      const artifacts: Artifact[] = [0, 1, 2].map((i) => ({ path: `terraform/r${i}/main.tf.json`, format: 'json', content: document(next, 0) }));
      const scanned = scanArtifacts(artifacts, () => true);
      const want = reference(artifacts);
      expect(scanned.findings.map((f) => f.message)).toEqual(want.said);
      expect(artifacts.map((a) => scanned.templateTexts.get(a))).toEqual(want.texts);
      findings += want.said.length;
      templates += want.texts.flat().length;
    }
    // Both were exercised, many times.
    expect(findings).toBeGreaterThan(200);
    expect(templates).toBeGreaterThan(200);
  });

  it('a key an object inherits is not visited', () => {
    const proto = { aws_secret_access_key: SECRET, '${var.inherited}': 'x' };
    const content = Object.assign(Object.create(proto) as Record<string, unknown>, { name: '${var.own}' });
    const artifact: Artifact = { path: 'terraform/aws/main.tf.json', format: 'json', content };
    const scanned = scanArtifacts([artifact], () => true);
    expect(scanned.findings).toEqual([]);
    expect(scanned.templateTexts.get(artifact)).toEqual(['${var.own}']);
  });
});
