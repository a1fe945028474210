import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding } from '../src/spec/findings.js';
import { doctorWalked, plainManager } from './helpers/doctor.js';
import { report, which } from './helpers/tools.js';

/**
 * Stop 59a: the doctor's reading of `kustomize build` checked against the real tool. Each case is a
 * folder of kustomizations the doctor claims to understand (taken from the doctor-kustomize-* tests):
 * the doctor reads it as a walked folder, `kubectl kustomize <build>` builds it, and the two must
 * agree on whether the build fails (the doctor's RF946, its RF939, or its RF901 saying `kustomize build` fails);
 * where the doctor quotes kustomize's message, kubectl's error holds the quoted part; where the doctor
 * places the failure at a `components` entry or in a Component, kubectl's error is one of accumulating components, and
 * not otherwise (kubectl's paths read relative to the case folder, its whitespace as one space). No remote bases or plugins here (no network). Skipped, said once, where kubectl is not
 * on PATH or has no kustomize subcommand.
 */

const M = plainManager();
const COMPONENT = 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n';
const sa = (name: string, ns = '') => `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n${ns !== '' ? `  namespace: ${ns}\n` : ''}`;
const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  a: "1"\n`;
const list = (field: string, entries: readonly string[]) => `${field}:\n${entries.map((e) => `  - ${e}\n`).join('')}`;
/** app/: the manager's objects (ServiceAccount gitlab-runner, ConfigMap runner-config, Deployment gitlab-runner). */
const app = (k: string, more: Record<string, string> = {}) => ({ 'app/kustomization.yaml': k, 'app/manager.yaml': M.text, ...more });
const BASE = { 'base/kustomization.yaml': list('resources', ['manager.yaml']), 'base/manager.yaml': M.text };
const gen = (name: string, behavior = '', field = 'configMapGenerator') => `${field}:\n  - name: ${name}\n${behavior !== '' ? `    behavior: ${behavior}\n` : ''}    literals:\n      - extra=1\n`;
const overlay = (components: readonly string[], more = '') => `namespace: ci\n${list('resources', ['../base'])}${more}${list('components', components)}`;

interface Case {
  name: string;
  files: Record<string, string>;
  /** The folder kubectl builds (its kustomization lists the rest). */
  build: string;
}

const CASES: Case[] = [
  // Paths (doctor-kustomize-build.test.ts 2).
  { name: 'resources: a file there', build: 'app', files: app(list('resources', ['manager.yaml'])) },
  { name: 'resources: a file not there', build: 'app', files: app(list('resources', ['manager.yaml', 'rbac.yaml'])) },
  { name: 'resources: a folder not there', build: 'app', files: app(list('resources', ['manager.yaml', 'missing/'])) },
  { name: 'resources: a folder with no kustomization', build: 'app', files: app(list('resources', ['manager.yaml', '../other']), { 'other/sa.yaml': sa('other') }) },
  { name: 'resources: a folder with a kustomization', build: 'app', files: app(list('resources', ['manager.yaml', '../other']), { 'other/sa.yaml': sa('other'), 'other/kustomization.yaml': list('resources', ['sa.yaml']) }) },
  { name: 'components: a folder not there', build: 'app', files: app(`${list('resources', ['manager.yaml'])}${list('components', ['extra'])}`) },
  { name: 'patches: a patch file not there', build: 'app', files: app(`${list('resources', ['manager.yaml'])}patches:\n  - path: sa-patch.yaml\n    target:\n      kind: ServiceAccount\n`) },
  { name: 'patches: a patch file there', build: 'app', files: app(`${list('resources', ['manager.yaml'])}patches:\n  - path: sa-patch.yaml\n    target:\n      kind: ServiceAccount\n`, { 'app/sa-patch.yaml': `${sa('gitlab-runner')}  labels:\n    a: b\n` }) },
  { name: 'patchesStrategicMerge: a file not there', build: 'app', files: app(`${list('resources', ['manager.yaml'])}${list('patchesStrategicMerge', ['sa-patch.yaml'])}`) },
  // One object added twice (doctor-kustomize-build.test.ts 3, -names).
  { name: 'duplicate: one resource listed twice', build: 'app', files: app(list('resources', ['manager.yaml', './manager.yaml'])) },
  { name: 'duplicate: two files, one ServiceAccount (no namespace and default)', build: 'app', files: app(list('resources', ['manager.yaml', 'sa.yaml']), { 'app/sa.yaml': sa('gitlab-runner', 'default') }) },
  { name: 'duplicate twin: two namespaces', build: 'app', files: { 'app/kustomization.yaml': list('resources', ['a.yaml', 'b.yaml']), 'app/a.yaml': sa('gitlab-runner', 'one'), 'app/b.yaml': sa('gitlab-runner', 'two') } },
  { name: 'duplicate: a file and a folder building the same id', build: 'app', files: app(list('resources', ['manager.yaml', '../base']), BASE) },
  { name: 'duplicate twin: the folder renames with namePrefix', build: 'app', files: app(list('resources', ['manager.yaml', '../base']), { ...BASE, 'base/kustomization.yaml': `namePrefix: b-\n${list('resources', ['manager.yaml'])}` }) },
  { name: 'duplicate: two folders, one namespace', build: 'app', files: { 'app/kustomization.yaml': list('resources', ['../base', '../copy']), ...BASE, 'copy/kustomization.yaml': list('resources', ['manager.yaml']), 'copy/manager.yaml': M.text } },
  { name: 'duplicate twin: two folders, two namespaces', build: 'app', files: { 'app/kustomization.yaml': list('resources', ['../base', '../copy']), ...BASE, 'base/kustomization.yaml': `namespace: one\n${list('resources', ['manager.yaml'])}`, 'copy/kustomization.yaml': `namespace: two\n${list('resources', ['manager.yaml'])}`, 'copy/manager.yaml': M.text } },
  // Generators (doctor-kustomize-55f, -component-merge-58c).
  { name: 'generator: create over a resource ConfigMap', build: 'app', files: app(`${list('resources', ['manager.yaml'])}${gen('runner-config')}`) },
  { name: 'generator twin: merge into the resource ConfigMap', build: 'app', files: app(`${list('resources', ['manager.yaml'])}${gen('runner-config', 'merge')}`) },
  { name: 'generator: merge into nothing', build: 'app', files: app(`${list('resources', ['manager.yaml'])}${gen('runner-extra', 'merge')}`) },
  { name: 'generator: replace of a Secret into nothing', build: 'app', files: app(`${list('resources', ['manager.yaml'])}${gen('runner-token', 'replace', 'secretGenerator')}`) },
  { name: 'generator: two entries creating one ConfigMap', build: 'app', files: app(`${list('resources', ['manager.yaml'])}configMapGenerator:\n  - name: x\n    literals:\n      - a=1\n  - name: x\n    literals:\n      - b=2\n`) },
  { name: 'generator: merge into a ConfigMap only a component adds', build: 'overlay', files: { ...BASE, 'extra/kustomization.yaml': `${COMPONENT}${list('resources', ['cm.yaml'])}`, 'extra/cm.yaml': cm('runner-extra'), 'overlay/kustomization.yaml': overlay(['../extra'], gen('runner-extra', 'merge')) } },
  { name: 'generator: create of a ConfigMap a component adds too', build: 'overlay', files: { ...BASE, 'extra/kustomization.yaml': `${COMPONENT}${list('resources', ['cm.yaml'])}`, 'extra/cm.yaml': cm('runner-extra'), 'overlay/kustomization.yaml': overlay(['../extra'], gen('runner-extra')) } },
  { name: 'generator: create of a ConfigMap a component generates too', build: 'overlay', files: { ...BASE, 'extra/kustomization.yaml': `${COMPONENT}${gen('runner-extra')}`, 'overlay/kustomization.yaml': overlay(['../extra'], gen('runner-extra')) } },
  { name: 'generator twin: the component merges into the ConfigMap the overlay generates', build: 'overlay', files: { ...BASE, 'extra/kustomization.yaml': `${COMPONENT}${gen('runner-extra', 'merge')}`, 'overlay/kustomization.yaml': overlay(['../extra'], gen('runner-extra')) } },
  // Components (doctor-kustomize-component-*-58c, -50d).
  { name: 'component: merge into a ConfigMap the build does not hold', build: 'overlay', files: { ...BASE, 'extra/kustomization.yaml': `${COMPONENT}${gen('runner-extra', 'merge')}`, 'overlay/kustomization.yaml': overlay(['../extra']) } },
  { name: 'component twin: merge into the base ConfigMap', build: 'overlay', files: { ...BASE, 'extra/kustomization.yaml': `${COMPONENT}${gen('runner-config', 'merge')}`, 'overlay/kustomization.yaml': overlay(['../extra']) } },
  { name: 'component twin: merge into a ConfigMap an earlier component adds', build: 'overlay', files: { ...BASE, 'first/kustomization.yaml': `${COMPONENT}${list('resources', ['cm.yaml'])}`, 'first/cm.yaml': cm('runner-extra'), 'extra/kustomization.yaml': `${COMPONENT}${gen('runner-extra', 'merge')}`, 'overlay/kustomization.yaml': overlay(['../first', '../extra']) } },
  { name: 'component: its resources add an id the build holds', build: 'overlay', files: { ...BASE, 'extra/kustomization.yaml': `${COMPONENT}${list('resources', ['sa.yaml'])}`, 'extra/sa.yaml': sa('gitlab-runner'), 'overlay/kustomization.yaml': overlay(['../extra']) } },
  { name: 'component twin: its resources add a new id', build: 'overlay', files: { ...BASE, 'extra/kustomization.yaml': `${COMPONENT}${list('resources', ['sa.yaml'])}`, 'extra/sa.yaml': sa('jobs'), 'overlay/kustomization.yaml': overlay(['../extra']) } },
  { name: 'component: listed twice', build: 'overlay', files: { ...BASE, 'extra/kustomization.yaml': `${COMPONENT}${list('resources', ['sa.yaml'])}`, 'extra/sa.yaml': sa('jobs'), 'overlay/kustomization.yaml': overlay(['../extra', '../extra']) } },
  { name: 'component: its generator creates a ConfigMap the build holds', build: 'overlay', files: { ...BASE, 'extra/kustomization.yaml': `${COMPONENT}${gen('runner-config')}`, 'overlay/kustomization.yaml': overlay(['../extra']) } },
  { name: 'component: listed under resources', build: 'overlay', files: { ...BASE, 'extra/kustomization.yaml': `${COMPONENT}${list('resources', ['sa.yaml'])}`, 'extra/sa.yaml': sa('jobs'), 'overlay/kustomization.yaml': `namespace: ci\n${list('resources', ['../base', '../extra'])}` } },
  { name: 'component: a kustomization listed under components', build: 'overlay', files: { ...BASE, 'extra/kustomization.yaml': list('resources', ['sa.yaml']), 'extra/sa.yaml': sa('jobs'), 'overlay/kustomization.yaml': overlay(['../extra']) } },
  // JSON 6902 patches (doctor-kustomize-patch, -build).
  { name: 'patches: a JSON 6902 patch with no target', build: 'app', files: app(`${list('resources', ['manager.yaml'])}patches:\n  - patch: |-\n      - op: add\n        path: /metadata/labels\n        value: {a: b}\n`) },
  { name: 'patches twin: the JSON 6902 patch with a target', build: 'app', files: app(`${list('resources', ['manager.yaml'])}patches:\n  - target:\n      kind: ServiceAccount\n      name: gitlab-runner\n    patch: |-\n      - op: add\n        path: /metadata/labels\n        value: {a: b}\n`) },
  { name: 'patches: a JSON 6902 patch file with no target', build: 'app', files: app(`${list('resources', ['manager.yaml'])}patches:\n  - path: ops.yaml\n`, { 'app/ops.yaml': '- op: add\n  path: /metadata/labels\n  value: {a: b}\n' }) },
  { name: 'patchesJson6902: a target with no name', build: 'app', files: app(`${list('resources', ['manager.yaml'])}patchesJson6902:\n  - target:\n      version: v1\n      kind: ServiceAccount\n    patch: |-\n      - op: add\n        path: /metadata/labels\n        value: {a: b}\n`) },
  { name: 'patchesJson6902: no target', build: 'app', files: app(`${list('resources', ['manager.yaml'])}patchesJson6902:\n  - patch: |-\n      - op: add\n        path: /metadata/labels\n        value: {a: b}\n`) },
  { name: 'patches twin: a target selecting nothing', build: 'app', files: app(`${list('resources', ['manager.yaml'])}patches:\n  - target:\n      kind: Secret\n      name: none\n    patch: |-\n      - op: add\n        path: /metadata/labels\n        value: {a: b}\n`) },
  // The load restrictor (doctor-kustomize-restrictor-56f, -54c).
  { name: 'restrictor: a resource file outside the folder', build: 'app', files: { 'app/kustomization.yaml': list('resources', ['../shared/sa.yaml']), 'shared/sa.yaml': sa('gitlab-runner') } },
  { name: 'restrictor twin: the folder holding it listed, with a kustomization', build: 'app', files: { 'app/kustomization.yaml': list('resources', ['../shared']), 'shared/sa.yaml': sa('gitlab-runner'), 'shared/kustomization.yaml': list('resources', ['sa.yaml']) } },
  { name: 'restrictor: a generator reading a file outside the folder', build: 'app', files: app(`${list('resources', ['manager.yaml'])}configMapGenerator:\n  - name: extra\n    files:\n      - ../shared/extra.txt\n`, { 'shared/extra.txt': 'x\n' }) },
  { name: 'restrictor: a patch file outside the folder', build: 'app', files: app(`${list('resources', ['manager.yaml'])}patches:\n  - path: ../shared/sa-patch.yaml\n`, { 'shared/sa-patch.yaml': `${sa('gitlab-runner')}  labels:\n    a: b\n` }) },
  // Strategic-merge patches that find no object (doctor-kustomize-patch: RF939, not a failed build).
  { name: 'patches: a strategic-merge patch naming no object of the build', build: 'app', files: app(`${list('resources', ['manager.yaml'])}patches:\n  - patch: |-\n      apiVersion: v1\n      kind: ServiceAccount\n      metadata:\n        name: none\n        labels:\n          a: b\n`) },
  { name: 'patchesStrategicMerge: a patch file naming no object of the build', build: 'app', files: app(`${list('resources', ['manager.yaml'])}${list('patchesStrategicMerge', ['sa-patch.yaml'])}`, { 'app/sa-patch.yaml': `${sa('none')}  labels:\n    a: b\n` }) },
  { name: 'patchesStrategicMerge twin: a patch file naming the ServiceAccount', build: 'app', files: app(`${list('resources', ['manager.yaml'])}${list('patchesStrategicMerge', ['sa-patch.yaml'])}`, { 'app/sa-patch.yaml': `${sa('gitlab-runner')}  labels:\n    a: b\n` }) },
  // Builds through builds.
  { name: 'nested: an overlay of a base missing a file', build: 'overlay', files: { 'base/kustomization.yaml': list('resources', ['manager.yaml', 'rbac.yaml']), 'base/manager.yaml': M.text, 'overlay/kustomization.yaml': `namespace: ci\n${list('resources', ['../base'])}` } },
  { name: 'nested: bases (the old field) listing one folder twice', build: 'overlay', files: { ...BASE, 'overlay/kustomization.yaml': list('bases', ['../base', '../base/']) } },
  { name: 'nested: a base generator and an overlay resource of one ConfigMap', build: 'overlay', files: { 'base/kustomization.yaml': `${list('resources', ['sa.yaml'])}${gen('settings')}`, 'base/sa.yaml': sa('gitlab-runner'), 'overlay/kustomization.yaml': list('resources', ['../base', 'cm.yaml']), 'overlay/cm.yaml': cm('settings') } },
  { name: 'nested twin: the base renames its generated ConfigMap', build: 'overlay', files: { 'base/kustomization.yaml': `namePrefix: b-\n${list('resources', ['sa.yaml'])}${gen('settings')}`, 'base/sa.yaml': sa('gitlab-runner'), 'overlay/kustomization.yaml': list('resources', ['../base', 'cm.yaml']), 'overlay/cm.yaml': cm('settings') } },
  { name: 'generator: a secretGenerator creating a Secret the resources hold', build: 'app', files: app(`${list('resources', ['manager.yaml', 'secret.yaml'])}${gen('token', '', 'secretGenerator')}`, { 'app/secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: token\nstringData:\n  a: b\n' }) },
  { name: 'types: namespace on (YAML 1.1 true)', build: 'app', files: app(`namespace: on\n${list('resources', ['manager.yaml'])}`) },
  { name: 'types: namePrefix 012 (YAML 1.1 octal)', build: 'app', files: app(`namePrefix: 012\n${list('resources', ['manager.yaml'])}`) },
  // Ids as kustomize compares them.
  { name: 'duplicate twin: one Namespace written with two metadata.namespace (cluster-scoped)', build: 'app', files: { 'app/kustomization.yaml': list('resources', ['a.yaml', 'b.yaml']), 'app/a.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ci\n  namespace: one\n', 'app/b.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ci\n  namespace: two\n' } },
  { name: 'generator: create with a namespace over a resource of that namespace', build: 'app', files: { 'app/kustomization.yaml': `${list('resources', ['cm.yaml'])}configMapGenerator:\n  - name: settings\n    namespace: ci\n    literals:\n      - a=1\n`, 'app/cm.yaml': `${cm('settings').replace('  name: settings\n', '  name: settings\n  namespace: ci\n')}` } },
  { name: 'generator twin: create in another namespace than the resource', build: 'app', files: { 'app/kustomization.yaml': `${list('resources', ['cm.yaml'])}configMapGenerator:\n  - name: settings\n    namespace: other\n    literals:\n      - a=1\n`, 'app/cm.yaml': `${cm('settings').replace('  name: settings\n', '  name: settings\n  namespace: ci\n')}` } },
  { name: 'component: its resource file not there', build: 'overlay', files: { ...BASE, 'extra/kustomization.yaml': `${COMPONENT}${list('resources', ['missing.yaml'])}`, 'overlay/kustomization.yaml': overlay(['../extra']) } },
  { name: 'component: of apiVersion v1beta1', build: 'overlay', files: { ...BASE, 'extra/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Component\n${list('resources', ['sa.yaml'])}`, 'extra/sa.yaml': sa('jobs'), 'overlay/kustomization.yaml': overlay(['../extra']) } },
  // Fields kustomize cannot read (RF901: doctor-kustomize-build.test.ts 1, -52a).
  { name: 'types: namePrefix a list', build: 'app', files: app(`namePrefix: [1, 2]\n${list('resources', ['manager.yaml'])}`) },
  { name: 'types: namespace a number', build: 'app', files: app(`namespace: 5\n${list('resources', ['manager.yaml'])}`) },
  { name: 'types twin: namespace quoted', build: 'app', files: app(`namespace: "5"\n${list('resources', ['manager.yaml'])}`) },
  // A path naming the kustomization's own folder, or one holding it (stop 60e: the kind checks quoted an empty path for `.`).
  { name: 'cycle: components lists ./ (its own folder)', build: 'app', files: app(`${list('resources', ['manager.yaml'])}${list('components', ['./'])}`) },
  { name: 'cycle: a Component lists . under resources', build: 'overlay', files: { ...BASE, 'extra/kustomization.yaml': `${COMPONENT}${list('resources', ['.'])}`, 'overlay/kustomization.yaml': overlay(['../extra']) } },
  { name: 'cycle: the root kustomization lists . under components', build: '.', files: { 'kustomization.yaml': `${list('resources', ['manager.yaml'])}${list('components', ['.'])}`, 'manager.yaml': M.text } },
  { name: 'cycle: an overlay lists .. (the Component holding it)', build: 'overlay', files: { 'kustomization.yaml': `${COMPONENT}${list('resources', ['sa.yaml'])}`, 'sa.yaml': sa('jobs'), 'overlay/kustomization.yaml': `${list('resources', ['manager.yaml'])}${list('components', ['..'])}`, 'overlay/manager.yaml': M.text } },
  { name: 'cycle twin: ./extra, a Component in a folder below', build: 'app', files: app(`${list('resources', ['manager.yaml'])}${list('components', ['./extra'])}`, { 'app/extra/kustomization.yaml': `${COMPONENT}${list('resources', ['sa.yaml'])}`, 'app/extra/sa.yaml': sa('jobs') }) },
  { name: 'apiVersion: a kustomization of another version', build: 'app', files: app(`apiVersion: kustomize.config.k8s.io/v1\nkind: Kustomization\n${list('resources', ['manager.yaml'])}`) },
];

const kubectl = which('kubectl');
const version = ((): string | undefined => {
  if (!kubectl) return undefined;
  const r = spawnSync(kubectl, ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  try {
    return (JSON.parse(r.stdout) as { kustomizeVersion?: string }).kustomizeVersion;
  } catch {
    return undefined;
  }
})();
const usable = kubectl !== undefined && version !== undefined && spawnSync(kubectl, ['kustomize', '--help'], { encoding: 'utf8' }).status === 0;
const skip = !kubectl ? 'kubectl is not on PATH' : !usable ? 'kubectl has no kustomize subcommand' : undefined;
const work = mkdtempSync(join(tmpdir(), 'runner-fleet-kustomize-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The failures the doctor says of a build: RF946, RF939 (a strategic-merge patch finding no object), and RF901 where it says `kustomize build` fails. */
const failures = (findings: readonly Finding[]): Finding[] => findings.filter((f) => f.code === 'RF946' || f.code === 'RF939' || (f.code === 'RF901' && f.message.includes('`kustomize build` fails')));
/** The parts of kustomize's message the doctor quotes first in parentheses (`("…")`, or `("…"; ` before other versions' wording), split where it elides ("..."). */
const quoted = (message: string): string[] => [...message.matchAll(/\("([^"]+)"[);]/g)].flatMap((m) => m[1]!.split('...').map((p) => p.trim()).filter((p) => p !== ''));

describe(`kubectl kustomize agrees with the doctor (${CASES.length} cases)`, () => {
  it('names are unique and at least 30 cases run', () => {
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    report(skip ? `SKIPPED: kubectl kustomize conformance: ${skip}` : `RAN: kubectl kustomize (kustomize ${version}) on ${CASES.length} cases`);
  });

  it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', (_name, c, i) => {
    if (skip) return;
    const dir = join(work, String(i));
    for (const [path, text] of Object.entries(c.files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const said = failures(doctorWalked(c.files).findings);
    const r = spawnSync(kubectl!, ['kustomize', c.build], { cwd: dir, encoding: 'utf8' });
    // klog writes the error quoted (err="…", its quotes and newlines escaped, twice within a quoted
    // inner error) or as an indented block (err=<…>);
    // kustomize names paths absolute, the doctor relative to the files given: read as the doctor reads them.
    const err = r.stderr.replace(/\\+"/g, '"').replace(/\\+n/g, '\n').replaceAll(`${dir}/`, '').replace(/\s+/g, ' ');
    const view = `doctor: ${JSON.stringify(said.map((f) => `${f.path}: ${f.message}`), null, 1)}\nkubectl exit ${String(r.status)}: ${err}`;
    expect(said.length > 0, view).toBe(r.status !== 0);
    if (said.length === 0) return;
    const f = said[0]!;
    for (const part of quoted(f.message)) expect(err, `quoted "${part}"\n${view}`).toContain(part);
    // At a components entry, or in a Component's own file: kustomize fails as it accumulates the components.
    const file = f.path.replace(/:\d+:\d+$/, '');
    const atComponents = /^\S+ components\[\d+\]/.test(f.message) || /^kind: Component$/m.test(c.files[file] ?? '');
    expect(err.includes('accumulating components'), `at a components entry: ${String(atComponents)}\n${view}`).toBe(atComponents);
  });
});

describe("the doctor's quotes of kustomize, without the tool", () => {
  const said = (name: string): string => failures(doctorWalked(CASES.find((c) => c.name === name)!.files).findings)[0]!.message;
  it("a generator creating an id already there quotes kustomize 5.5's wording first, 5.8's after", () => {
    expect(said('generator: create over a resource ConfigMap')).toContain(`("id ... exists; behavior must be merge or replace"; kustomize 5.8 and later: "id ... exists; can not use behavior: 'create', behavior must be merge or replace")`);
    expect(said('component: its generator creates a ConfigMap the build holds')).toContain('("id ... exists; behavior must be merge or replace";');
  });
  it('the kind checks quote the folder as kustomize names it, with no / at its end', () => {
    expect(said('component: listed under resources')).toContain(`("expected kind != 'Component' for path 'extra'")`);
    expect(said('component: a kustomization listed under components')).toContain(`("expected kind 'Component' for path 'extra' but got 'Kustomization'")`);
  });
  it("a path naming the kustomization's own folder, or one holding it, is kustomize's cycle, never a kind check of an empty path", () => {
    expect(said('cycle: components lists ./ (its own folder)')).toContain(`("cycle detected: candidate root 'app' contains visited root 'app'")`);
    expect(said('cycle: a Component lists . under resources')).toContain(`("cycle detected: candidate root 'extra' contains visited root 'extra'")`);
    expect(said('cycle: the root kustomization lists . under components')).toContain(`("cycle detected: candidate root '...' contains visited root '...'")`);
    expect(said('cycle: an overlay lists .. (the Component holding it)')).toContain(`("cycle detected: candidate root '...' contains visited root ...")`);
    for (const name of ['cycle: components lists ./ (its own folder)', 'cycle: a Component lists . under resources', 'cycle: the root kustomization lists . under components']) expect(said(name)).not.toContain("path ''");
  });
});
