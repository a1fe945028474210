import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { planText, planValue } from '../src/core.js';
import type { Finding } from '../src/spec/findings.js';
import { formatFinding } from '../src/spec/findings.js';

/**
 * Findings about a spec path name the place in the file (position: file, line, column; text:
 * `file:line:col path: message`). Each case finds the expected place in the text itself: the line
 * and column of a piece of text that is there once (or its nth occurrence).
 */
const EXAMPLE = readFileSync(new URL('../examples/eks-irsa.yaml', import.meta.url), 'utf8');

/** 1-based line and column of the `nth` occurrence of `needle` in `text`, plus `shift` characters. */
function placeOf(text: string, needle: string, nth = 1, shift = 0): { line: number; column: number } {
  let at = -1;
  for (let i = 0; i < nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`test: ${needle} is not in the text ${nth} times`);
  }
  at += shift;
  const before = text.slice(0, at);
  return { line: before.split('\n').length, column: at - before.lastIndexOf('\n') };
}

function replaced(text: string, from: string, to: string): string {
  expect(text.split(from).length, `test: ${from} once in the text`).toBe(2);
  return text.replace(from, to);
}

function finding(text: string, code: string, path: string, file = 'fleet.yaml'): Finding {
  const plan = planText(text, file);
  expect(plan.exitCode).toBe(2);
  const hit = plan.findings.find((f) => f.code === code && f.path === path);
  expect(hit, JSON.stringify(plan.findings, null, 1)).toBeDefined();
  return hit!;
}

describe('findings about the spec say where in the file', () => {
  it('a misspelt key: at the key', () => {
    const text = replaced(EXAMPLE, '      protectedOnly: true', '      protectedOnyl: true');
    const f = finding(text, 'RF003', 'runners[1].gitlab.protectedOnyl');
    expect(f.position).toEqual({ file: 'fleet.yaml', ...placeOf(text, 'protectedOnyl') });
    expect(formatFinding(f).split('\n')[0]).toBe(`ERROR RF003 fleet.yaml:${f.position!.line}:7 runners[1].gitlab.protectedOnyl: unknown key "protectedOnyl" (and "protectedOnly" is not set)`);
  });

  it('a value of the wrong type: at the value', () => {
    const text = replaced(EXAMPLE, '    concurrent: 10', '    concurrent: "ten"');
    const f = finding(text, 'RF002', 'runners[0].concurrent');
    expect(f.position).toEqual({ file: 'fleet.yaml', ...placeOf(text, '"ten"') });
  });

  it('a missing required key: at its nearest existing parent (the key that holds it)', () => {
    const text = replaced(EXAMPLE, '  url: https://gitlab.com\n', '  urn: https://gitlab.com\n');
    // A misspelling of url is reported at the written key; with the key gone altogether, at gitlab:.
    expect(finding(text, 'RF003', 'gitlab.urn').position).toEqual({ file: 'fleet.yaml', ...placeOf(text, 'urn:') });
    const gone = replaced(EXAMPLE, 'gitlab:\n  url: https://gitlab.com\n', 'gitlab:\n  {}\n');
    expect(finding(gone, 'RF004', 'gitlab.url').position).toEqual({ file: 'fleet.yaml', ...placeOf(gone, 'gitlab:\n  {}') });
  });

  it('a duplicate runner name: at the second name', () => {
    const text = replaced(EXAMPLE, '  - name: deploy', '  - name: build');
    const f = finding(text, 'RF005', 'runners[1].name');
    expect(f.position).toEqual({ file: 'fleet.yaml', ...placeOf(text, '  - name: build', 2, '  - name: '.length) });
  });

  it('an unknown cache name inside a one-line flow mapping: at the name', () => {
    const text = replaced(EXAMPLE, 'cache: { name: shared, shared: false }', 'cache: { name: shraed, shared: false }');
    const f = finding(text, 'RF006', 'runners[1].cache.name');
    expect(f.position).toEqual({ file: 'fleet.yaml', ...placeOf(text, 'shraed') });
  });

  it('a finding in a runner after a long list of runners: its line (beyond 100)', () => {
    const runner = (i: number) => `  - name: r${i}\n    placement: { cluster: devops, namespace: ci-build }\n    gitlab:\n      group: acme/platform\n      tags: [k8s]\n    jobs:\n      image: ubuntu:24.04\n`;
    const start = EXAMPLE.indexOf('runners:\n') + 'runners:\n'.length;
    let many = '';
    for (let i = 0; i < 30; i++) many += runner(i);
    const text = `${EXAMPLE.slice(0, start)}${many}  - name: late\n    placement: { cluster: devops, namespace: ci-build }\n    gitlab:\n      group: acme/platform\n      protectedOnyl: true\n    jobs:\n      image: ubuntu:24.04\n${EXAMPLE.slice(start)}`;
    const f = finding(text, 'RF003', 'runners[30].gitlab.protectedOnyl');
    const expected = placeOf(text, 'protectedOnyl');
    expect(expected.line).toBeGreaterThan(100);
    expect(f.position).toEqual({ file: 'fleet.yaml', ...expected });
  });

  it('a JSON spec (read by the YAML library): the line and column of the JSON text', () => {
    const spec = planText(EXAMPLE, 'x.yaml').spec as unknown as { runners: { gitlab: Record<string, unknown>; concurrent: unknown }[] };
    spec.runners[1]!.gitlab.protectedOnyl = true;
    spec.runners[0]!.concurrent = 'ten';
    const text = JSON.stringify(spec, null, 2);
    expect(finding(text, 'RF003', 'runners[1].gitlab.protectedOnyl', 'fleet.json').position).toEqual({ file: 'fleet.json', ...placeOf(text, '"protectedOnyl"') });
    expect(finding(text, 'RF002', 'runners[0].concurrent', 'fleet.json').position).toEqual({ file: 'fleet.json', ...placeOf(text, '"ten"') });
  });

  it('flow-style YAML over several lines (read by the YAML library)', () => {
    const text = replaced(EXAMPLE, '    placement: { cluster: devops, namespace: ci-deploy }\n', '    placement: {\n      cluster: devopz,\n      namespace: ci-deploy }\n');
    const f = finding(text, 'RF006', 'runners[1].placement.cluster');
    expect(f.position).toEqual({ file: 'fleet.yaml', ...placeOf(text, 'devopz') });
  });

  it('only findings about a spec path written in a file are placed: not those of a module, of the whole spec or of the documents', () => {
    const text = replaced(EXAMPLE, '  - name: deploy', '  - name: build');
    expect(finding(text, 'RF005', 'runners[1].name').position).toBeDefined();
    // The same spec as a value (a .js module): nothing to point at.
    const spec = planText(EXAMPLE, 'x.yaml').spec as unknown as { runners: { name: string }[] };
    spec.runners[1]!.name = 'build';
    expect(planValue(JSON.parse(JSON.stringify(spec))).findings.find((f) => f.code === 'RF005')?.position).toBeUndefined();
    const whole = planText('- a\n- b\n', 'list.yaml');
    expect(whole.findings[0]!.path).toBe('');
    expect(whole.findings[0]!.position).toBeUndefined();
    // A valid spec's findings are about the generated documents: they stay as they were.
    const plan = planText(EXAMPLE, 'fleet.yaml');
    expect(plan.exitCode).not.toBe(2);
    expect(plan.findings.length).toBeGreaterThan(0);
    expect(plan.findings.filter((f) => f.position)).toEqual([]);
  });

  it('the CLI prints file:line:col before the path, and --json adds position (the other fields as before)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runner-fleet-65g-'));
    const file = join(dir, 'fleet.yaml');
    const text = replaced(EXAMPLE, '      protectedOnly: true', '      protectedOnyl: true');
    writeFileSync(file, text);
    const { line, column } = placeOf(text, 'protectedOnyl');
    const err: string[] = [];
    expect(await main(['plan', file], { out: () => {}, err: (s) => err.push(s) })).toBe(2);
    expect(err.join('')).toContain(`ERROR RF003 ${file}:${line}:${column} runners[1].gitlab.protectedOnyl: unknown key`);
    const out: string[] = [];
    expect(await main(['plan', file, '--json'], { out: (s) => out.push(s), err: () => {} })).toBe(2);
    const report = JSON.parse(out.join('')) as { findings: Finding[] };
    const f = report.findings.find((x) => x.code === 'RF003')!;
    expect(f.position).toEqual({ file, line, column });
    expect(Object.keys(f)).toEqual(['code', 'severity', 'path', 'message', 'received', 'allowed', 'fix', 'position']);
  });
});
