import { describe, expect, it } from 'vitest';
import { applyAcceptedRisks } from '../src/verify/index.js';
import { referenceMatches } from '../src/emit/terraform/schemas/index.js';
import type { Finding } from '../src/spec/findings.js';
import { CODES, type Code } from '../src/spec/codes.js';
import type { FleetIntent } from '../src/verify/intent.js';
import { rng } from './fuzz/engine.js';

/**
 * Indexes that replaced scans in plan + verify (issue 7c). Each is compared with the scan it
 * replaced, kept here as the reference, on randomized input: they must agree exactly.
 */

const pickOf = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

describe('applyAcceptedRisks: scopes by prefix decide what the scan over every scope decided', () => {
  // The scan it replaced.
  function scanned(fleet: FleetIntent, findings: Finding[]): Finding[] {
    const scopes: { prefix: string; risks: { code: string; reason: string }[] }[] = [
      ...fleet.runners.map((r) => ({ prefix: `runners[${r.index}]`, risks: r.spec.acceptRisks })),
      ...fleet.caches.map((c, i) => ({ prefix: `caches[${i}]`, risks: (c.spec.acceptRisks as { code: string; reason: string }[] | undefined) ?? [] })),
      ...fleet.clusters.map((c, i) => ({ prefix: `clusters[${i}]`, risks: (c.spec.acceptRisks as { code: string; reason: string }[] | undefined) ?? [] })),
    ];
    return findings.map((finding) => {
      const info = CODES[finding.code as Code] as { acceptable: boolean } | undefined;
      if (!info?.acceptable) return finding;
      const scope = scopes.find((s) => finding.path === s.prefix || finding.path.startsWith(`${s.prefix}.`) || finding.path.startsWith(`${s.prefix}[`));
      const risk = scope?.risks.find((x) => x.code === finding.code);
      if (!risk) return finding;
      return { ...finding, severity: finding.severity === 'error' ? 'warning' : finding.severity, acceptedBecause: risk.reason };
    });
  }
  const codes = Object.keys(CODES) as Code[];
  const acceptable = codes.filter((c) => (CODES[c] as { acceptable?: boolean }).acceptable);

  it.each(Array.from({ length: 40 }, (_, seed) => seed))('seed %i', (seed) => {
    const r = rng(seed + 1);
    const risks = () => Array.from({ length: Math.floor(r() * 3) }, (_, i) => ({ code: pickOf(r, acceptable), reason: `reason ${seed}-${i}-${Math.floor(r() * 1000)}` }));
    // Indexes repeat on purpose (equal prefixes: the first scope must win, as with find).
    const runners = Array.from({ length: 1 + Math.floor(r() * 14) }, () => ({ index: Math.floor(r() * 12), spec: { acceptRisks: risks() } }));
    const caches = Array.from({ length: Math.floor(r() * 3) }, () => ({ spec: { acceptRisks: r() < 0.3 ? undefined : risks() } }));
    const clusters = Array.from({ length: Math.floor(r() * 3) }, () => ({ spec: { acceptRisks: risks() } }));
    const fleet = { runners, caches, clusters } as unknown as FleetIntent;
    const roots = ['runners', 'caches', 'clusters', 'gitlab', ''];
    const tails = ['', '.cache', '.cache.path', '[0]', '[1].x', '.jobs.privileged', 'x', '0]', '[', '.', '.gitlab.tags[2]'];
    const findings: Finding[] = Array.from({ length: 200 }, () => {
      const path = `${pickOf(r, roots)}${r() < 0.9 ? `[${Math.floor(r() * 13)}]` : ''}${pickOf(r, tails)}${r() < 0.2 ? pickOf(r, tails) : ''}`;
      const code = r() < 0.7 ? pickOf(r, acceptable) : pickOf(r, codes);
      return { code, severity: CODES[code].severity, path, message: 'm' };
    });
    expect(applyAcceptedRisks(fleet, findings)).toEqual(scanned(fleet, findings));
  });
});

describe('referenceMatches: the references JSON.stringify(root) shows, without building it', () => {
  const REF = /\$\{(data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)(\.[^}]*)?\}/g;
  const needles = ['${azurerm', '${data.azurerm', '${kubernetes', '${data.kubernetes'];
  // The scan it replaced: the whole text, when any key or string contains `${` and a needle.
  function mentions(v: unknown): boolean {
    if (typeof v === 'string') return v.includes('${') && needles.some((n) => v.includes(n));
    if (Array.isArray(v)) return v.some((x) => mentions(x));
    if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) if (mentions(k) || mentions((v as Record<string, unknown>)[k])) return true;
    return false;
  }
  const whole = (root: unknown) => (mentions(root) ? [...JSON.stringify(root).matchAll(REF)] : []).map((m) => [...m]);
  const fragments = ['${azurerm_a.b.id}', '${data.azurerm_c.d.name}', '${aws_iam_role.x.arn}', '${kubernetes_namespace_v1.n.metadata.0.name}', '${azurerm_q.r.s.t', '${var.x}', '${local.y}', '${azurerm_a.b.id.', '"', '\\', '}', '{', 'plain', '\n', '\u0001', '$', '${', ' ', '.', 'x_y', 'é'];
  const text = (r: () => number) => Array.from({ length: Math.floor(r() * 5) }, () => pickOf(r, fragments)).join('');
  const value = (r: () => number, depth: number): unknown => {
    const x = r();
    if (depth > 3 || x < 0.4) return text(r);
    if (x < 0.5) return pickOf(r, [1, true, null, undefined]);
    if (x < 0.7) return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(r() * 4) }, () => [text(r), value(r, depth + 1)]));
  };
  it.each(Array.from({ length: 300 }, (_, seed) => seed))('seed %i', (seed) => {
    const r = rng(seed + 7);
    const root = { resource: value(r, 0), data: value(r, 1), output: value(r, 2) };
    expect(referenceMatches(root, needles).map((m) => [...m])).toEqual(whole(root));
  });
  it('finds the references of a generated-looking root, and none without a needle', () => {
    const root = { resource: { azurerm_role_assignment: { a: { scope: '${azurerm_storage_account.c.id}', principal_id: '${azurerm_user_assigned_identity.m.principal_id}' } } } };
    expect(referenceMatches(root, needles).map((m) => m[0])).toEqual(['${azurerm_storage_account.c.id}', '${azurerm_user_assigned_identity.m.principal_id}']);
    expect(referenceMatches({ resource: { aws_iam_role: { a: { name: '${aws_iam_role.b.name}' } } } }, needles)).toEqual([]);
  });
});
