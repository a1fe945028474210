import { describe, expect, it } from 'vitest';
import { applyAcceptedRisks } from '../src/verify/index.js';
import { checkTerraformRoot, referenceMatches, TABLE_CHECKED_PROVIDERS, type BlockSchema, type ProviderSchema } from '../src/emit/terraform/schemas/index.js';
import { META_ARGUMENTS } from '../src/emit/terraform/schemas/types.js';
import type { TerraformRoot } from '../src/emit/artifacts.js';
import { planExample } from './helpers/fleet.js';
import { AKS } from './helpers/azure.js';
import { scanArtifacts } from '../src/verify/secrets.js';
import type { Artifact } from '../src/emit/artifacts.js';
import type { Finding } from '../src/spec/findings.js';
import { CODES, type Code } from '../src/spec/codes.js';
import type { FleetIntent } from '../src/verify/intent.js';
import { rng } from './fuzz/engine.js';
import { unverifiedDownloads, VERIFIED_DOWNLOAD_FUNCTIONS, VERIFIED_DOWNLOADS_BEGIN, VERIFIED_DOWNLOADS_END } from '../src/platforms/aws-vm/common.js';

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
  // Issue 7e: verify gathers these texts during its credential scan instead of walking the root again.
  it.each(Array.from({ length: 300 }, (_, seed) => seed))('texts gathered by the credential scan, seed %i', (seed) => {
    const r = rng(seed + 7);
    const root = { resource: value(r, 0), data: value(r, 1), output: value(r, 2) };
    const artifact: Artifact = { path: 'terraform/azure/main.tf.json', format: 'json', content: root };
    const other: Artifact = { path: 'x.json', format: 'json', content: { k: value(r, 0) } };
    const scanned = scanArtifacts([other, artifact], (a) => a === artifact);
    expect(scanned.templateTexts.has(other)).toBe(false);
    expect(referenceMatches(root, needles, scanned.templateTexts.get(artifact)).map((m) => [...m])).toEqual(whole(root));
  });
  it('finds the references of a generated-looking root, and none without a needle', () => {
    const root = { resource: { azurerm_role_assignment: { a: { scope: '${azurerm_storage_account.c.id}', principal_id: '${azurerm_user_assigned_identity.m.principal_id}' } } } };
    expect(referenceMatches(root, needles).map((m) => m[0])).toEqual(['${azurerm_storage_account.c.id}', '${azurerm_user_assigned_identity.m.principal_id}']);
    expect(referenceMatches({ resource: { aws_iam_role: { a: { name: '${aws_iam_role.b.name}' } } } }, needles)).toEqual([]);
  });
});

describe('unverifiedDownloads: patterns only on lines holding their text, the same answers as on every line', () => {
  // The loop it replaced: every pattern on every line.
  function everyLine(script: string): string[] {
    const lines = script.split('\n');
    const out: string[] = [];
    const setAt = lines.findIndex((l) => l.trim() === 'set -euo pipefail');
    const firstCommand = lines.findIndex((l, i) => i > 0 && l.trim() !== '' && !l.trim().startsWith('#'));
    if (setAt < 0 || setAt > firstCommand) out.push('does not start with set -euo pipefail, so a failed step does not stop the boot');
    const begin = lines.indexOf(VERIFIED_DOWNLOADS_BEGIN);
    const end = lines.indexOf(VERIFIED_DOWNLOADS_END);
    const block = begin >= 0 && end > begin ? lines.slice(begin, end + 1) : [];
    if (block.length > 0 && block.join('\n') !== VERIFIED_DOWNLOAD_FUNCTIONS.join('\n')) out.push('has verified-download functions that differ from the generated ones');
    const urls = (code: string) => code.match(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"')]+/gi) ?? [];
    lines.forEach((line, i) => {
      if (i >= begin && i <= end && block.length > 0) return;
      const code = line.replace(/#.*$/, '');
      // One reason a line: piped into a shell, else downloaded unchecked.
      // Into a shell, where what feeds the pipe (back to the last ;, &&, ||) fetches something.
      const piped = [...code.matchAll(/\|\s*(sudo\s+)?(ba|z|da)?sh\b/g)].some((m) => /\b(curl|wget|fetch|aria2c|gsutil)\b|\bs3\s+cp\b|:\/\//.test(code.slice(0, m.index).split(/&&|\|\||;/).pop()!));
      if (piped) out.push(`pipes a download into a shell (line ${i + 1}: ${line.trim().slice(0, 80)})`);
      else if (/\b(curl|wget)\b/.test(code) && !(urls(code).length > 0 && urls(code).every((u) => u.startsWith('http://169.254.169.254/')))) out.push(`downloads without checking a pinned SHA-256 (line ${i + 1}: ${line.trim().slice(0, 80)})`);
      const fetch = /^\s*fetch_verified\s+(\S+)\s+(\S+)\s+(\S+)\s*$/.exec(code);
      if (/^\s*(fetch_verified|import_key_verified)\b/.test(code) && block.length === 0) out.push(`calls ${code.trim().split(/\s/)[0]!} without defining it (line ${i + 1})`);
      if (/^\s*fetch_verified\b/.test(code) && !(fetch && /^'?[a-f0-9]{64}'?$/.test(fetch[2]!))) out.push(`fetches without a pinned SHA-256 (line ${i + 1})`);
    });
    return out;
  }
  const pieces = ['#!/bin/bash', 'set -euo pipefail', 'curl -fsSL https://x.example/a | sh', 'wget http://169.254.169.254/latest/meta-data/instance-id', 'curl http://169.254.169.254/x # note', '# curl https://x | bash', `fetch_verified https://x.example/a '${'a'.repeat(64)}' /tmp/a`, 'fetch_verified https://x.example/a abc /tmp/a', '  import_key_verified key FP', 'echo ok | sudo bash', 'echo "a#b" | zsh', 'x|dash', 'curlish', 'fetch_verifiedx', '\r', 'echo \u2028 # c', '', 'ls | shx', ...VERIFIED_DOWNLOAD_FUNCTIONS];
  it.each(Array.from({ length: 60 }, (_, seed) => seed))('seed %i', (seed) => {
    const r = rng(seed + 11);
    const script = Array.from({ length: 5 + Math.floor(r() * 60) }, () => {
      const a = pickOf(r, pieces);
      return r() < 0.2 ? a + pickOf(r, pieces) : a;
    }).join('\n');
    expect(unverifiedDownloads(script)).toEqual(everyLine(script));
  });
});

describe('checkTerraformRoot: argument sets, one provider look-up per type and each reference checked once give the problems the scans gave', () => {
  // The checker it replaced (issue 7j), kept as the reference.
  function checkBlockScan(where: string, body: unknown, schema: BlockSchema, meta: boolean): string[] {
    const out: string[] = [];
    for (const b of Array.isArray(body) ? body : [body]) {
      if (b === null || typeof b !== 'object') {
        out.push(`${where}: expected a block, got ${JSON.stringify(b)}`);
        continue;
      }
      const rec = b as Record<string, unknown>;
      for (const [k, v] of Object.entries(rec)) {
        if (meta && (META_ARGUMENTS as readonly string[]).includes(k)) continue;
        if (schema.attributes.includes(k)) continue;
        const nested = schema.blocks?.[k];
        if (nested) out.push(...checkBlockScan(`${where}.${k}`, v, nested, false));
        else out.push(`${where}.${k}: not an argument or block of this type`);
      }
      for (const r of schema.required ?? []) if (!(r in rec)) out.push(`${where}.${r}: required argument missing`);
    }
    return out;
  }
  function checkScan(root: TerraformRoot, providers: Readonly<Record<string, ProviderSchema>>): string[] {
    const out: string[] = [];
    const own = (name: string) => (Object.hasOwn(providers, name) ? providers[name] : undefined);
    const providerOf = (type: string) => own(type.split('_')[0]!);
    for (const [name, cfg] of Object.entries(root.provider ?? {})) {
      const p = own(name);
      if (!p) continue;
      out.push(...checkBlockScan(`provider.${name}`, cfg, p.provider, false));
      const required = (root.terraform.required_providers as Record<string, { source?: string }> | undefined)?.[name];
      if (required?.source !== p.source) out.push(`terraform.required_providers.${name}: source must be ${p.source}`);
    }
    const kinds: [string, Record<string, Record<string, Record<string, unknown>>> | undefined, 'resources' | 'dataSources'][] = [
      ['resource', root.resource, 'resources'],
      ['data', root.data, 'dataSources'],
    ];
    for (const [kind, blocks, table] of kinds) {
      for (const [type, byName] of Object.entries(blocks ?? {})) {
        const p = providerOf(type);
        if (!p) continue;
        const schema = p[table][type];
        if (!schema) {
          out.push(`${kind}.${type}: not a ${table === 'resources' ? 'resource' : 'data source'} type in the ${p.source} table`);
          continue;
        }
        for (const [name, body] of Object.entries(byName)) out.push(...checkBlockScan(`${kind}.${type}.${name}`, body, schema, true));
      }
    }
    const needles = Object.keys(providers).flatMap((n) => [`\${${n}`, `\${data.${n}`]);
    for (const m of referenceMatches(root, needles)) {
      const [, data, type, name, attr] = m as unknown as [string, string | undefined, string, string, string];
      if (type === 'var' || type === 'local') continue;
      const p = providerOf(type);
      if (!p) continue;
      const target = data ? root.data?.[type]?.[name] : root.resource[type]?.[name];
      const schema = data ? p.dataSources[type] : p.resources[type];
      if (!target) out.push(`reference ${m[0]}: no such ${data ? 'data source' : 'resource'} in this root`);
      else if (schema && !schema.attributes.includes(attr) && !(schema.exports ?? []).includes(attr)) out.push(`reference ${m[0]}: ${type} has no attribute ${attr}`);
    }
    return [...new Set(out)];
  }

  const bases = [planExample(AKS).emitted!.terraformAzure, planExample(AKS).emitted!.terraformGitlab, planExample('eks-irsa').emitted!.terraformGitlab].filter((r) => r !== undefined);
  it.each(Array.from({ length: 30 }, (_, seed) => seed))('seed %i', (seed) => {
    const r = rng(seed + 1);
    const root = JSON.parse(JSON.stringify(pickOf(r, bases))) as TerraformRoot;
    const types = Object.keys(root.resource);
    const refs = ['${azurerm_user_assigned_identity.nobody.id}', '${azurerm_user_assigned_identity.x.object_id}', '${data.azurerm_client_config.current.tenant_id}', '${data.azurerm_nope.x.id}', '${gitlab_user_runner.x.token}', '${kubernetes_namespace_v1.y.metadata}', '${var.x.y}', '${random_id.x.hex}', '${azurerm_storage_account.c.id.x}'];
    for (let i = 0; i < 1 + Math.floor(r() * 12); i++) {
      const type = pickOf(r, types);
      const blocks = root.resource[type]!;
      const name = pickOf(r, Object.keys(blocks));
      const body = blocks[name]!;
      switch (Math.floor(r() * 7)) {
        case 0: body[pickOf(r, ['nope', 'lifecycle', 'count', 'timeouts', 'constructor_x', 'name'])] = 'x'; break;
        case 1: delete body[pickOf(r, Object.keys(body))]; break;
        // The same reference many times, in keys and values: each must be reported once, in order.
        case 2: for (let j = 0; j < 3; j++) body[`ref${j}`] = `${pickOf(r, refs)} and ${pickOf(r, refs)}`; break;
        case 3: root.resource[pickOf(r, ['azurerm_nope', 'gitlab_thing', 'kubernetes_x_v1', 'aws_iam_role'])] = { [name]: { a: pickOf(r, refs) } }; break;
        case 4: body.metadata = [{ nope: 1, labels: {} }, 'x']; break;
        case 5: (root.provider ??= {})[pickOf(r, ['azurerm', 'gitlab', 'kubernetes'])] = { nope: pickOf(r, refs) }; break;
        case 6: blocks[`${name}_2`] = JSON.parse(JSON.stringify(body)) as Record<string, unknown>; break;
      }
    }
    expect(checkTerraformRoot(root, TABLE_CHECKED_PROVIDERS)).toEqual(checkScan(root, TABLE_CHECKED_PROVIDERS));
  });
});
