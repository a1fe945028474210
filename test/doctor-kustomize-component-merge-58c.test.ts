import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { placeOf, plainManager } from './helpers/doctor.js';

/**
 * Stop 58c: a component's configMapGenerator / secretGenerator entry with `behavior: merge` (or
 * `replace`) whose ConfigMap / Secret the build listing the component does not hold. kustomize runs a
 * component's generators over that build (kusttarget.go accumulateComponents) and refuses to merge
 * into nothing (reswrangler.go appendReplaceOrMerge, "does not exist; cannot merge or replace"):
 * RF946 at the `components` entry of each build that lists it and lacks the object.
 */

const codes = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const enc = (t: string) => new TextEncoder().encode(t);
const walked = (f: Record<string, string>): DoctorResult => doctor(Object.entries(f).map(([path, text]) => ({ path, bytes: enc(text), inFolder: true as const })));

const M = plainManager();
const COMPONENT = 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n';
const BASE = { 'base/kustomization.yaml': 'resources:\n  - sa.yaml\n  - config.yaml\n  - deploy.yaml\n', 'base/sa.yaml': M.serviceAccounts, 'base/config.yaml': M.configMap, 'base/deploy.yaml': M.deployment, 'cluster.tf': 'resource "aws_eks_cluster" "c" {\n  name = "c"\n}\n' };
const merging = (name: string, behavior = 'merge', kind = 'configMapGenerator') => `${COMPONENT}${kind}:\n  - name: ${name}\n    behavior: ${behavior}\n    literals:\n      - extra=1\n`;
const OVERLAY = 'namespace: ci\nresources:\n  - ../base\ncomponents:\n  - ../extra\n';
const mergeErrors = (r: DoctorResult) => codes(r, 'RF946').filter((f) => f.message.includes('cannot merge or replace'));

describe("a component's generator merging into nothing", () => {
  it('merge of a ConfigMap the build does not hold: RF946 at the components entry, naming the entry and kustomize\'s error', () => {
    const r = walked({ ...BASE, 'extra/kustomization.yaml': merging('runner-extra'), 'overlay/kustomization.yaml': OVERLAY });
    const f = mergeErrors(r);
    expect(f.map((x) => x.path)).toEqual([placeOf('overlay/kustomization.yaml', OVERLAY, '../extra')]);
    expect(f[0]!.message).toContain('components[0] is ../extra, whose configMapGenerator[0] is runner-extra with behavior: merge (extra/kustomization.yaml:5:15)');
    expect(f[0]!.message).toContain('no ConfigMap of that name is in the build that lists it');
    expect(f[0]!.fix).toContain('take behavior: merge out of configMapGenerator[0] of extra/kustomization.yaml');
  });

  it('replace of a Secret: the same, said of a Secret', () => {
    const r = walked({ ...BASE, 'extra/kustomization.yaml': merging('runner-token', 'replace', 'secretGenerator'), 'overlay/kustomization.yaml': OVERLAY });
    const f = mergeErrors(r);
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('with behavior: replace');
    expect(f[0]!.message).toContain('no Secret of that name');
  });

  it('two overlays list the component: only the one without the ConfigMap is said', () => {
    const holds = 'namespace: ci\nresources:\n  - ../base\n  - extra-cm.yaml\ncomponents:\n  - ../extra\n';
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: runner-extra\ndata:\n  a: "1"\n';
    const r = walked({ ...BASE, 'extra/kustomization.yaml': merging('runner-extra'), 'one/kustomization.yaml': holds, 'one/extra-cm.yaml': cm, 'two/kustomization.yaml': OVERLAY });
    expect(mergeErrors(r).map((x) => x.path)).toEqual([placeOf('two/kustomization.yaml', OVERLAY, '../extra')]);
  });

  it('guards: merge into the base ConfigMap, into one the overlay generates, one an earlier component adds, one the component made before: no RF946', () => {
    const name = /name: (\S+)/.exec(M.configMap)![1]!;
    expect(mergeErrors(walked({ ...BASE, 'extra/kustomization.yaml': merging(name), 'overlay/kustomization.yaml': OVERLAY }))).toEqual([]);
    const generates = 'namespace: ci\nresources:\n  - ../base\nconfigMapGenerator:\n  - name: runner-extra\n    literals:\n      - a=1\ncomponents:\n  - ../extra\n';
    expect(mergeErrors(walked({ ...BASE, 'extra/kustomization.yaml': merging('runner-extra'), 'overlay/kustomization.yaml': generates }))).toEqual([]);
    const earlier = 'namespace: ci\nresources:\n  - ../base\ncomponents:\n  - ../first\n  - ../extra\n';
    const first = { 'first/kustomization.yaml': `${COMPONENT}resources:\n  - cm.yaml\n`, 'first/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: runner-extra\n' };
    expect(mergeErrors(walked({ ...BASE, ...first, 'extra/kustomization.yaml': merging('runner-extra'), 'overlay/kustomization.yaml': earlier }))).toEqual([]);
    const self = `${COMPONENT}configMapGenerator:\n  - name: runner-extra\n    literals:\n      - a=1\n  - name: runner-extra\n    behavior: merge\n    literals:\n      - b=2\n`;
    expect(mergeErrors(walked({ ...BASE, 'extra/kustomization.yaml': self, 'overlay/kustomization.yaml': OVERLAY }))).toEqual([]);
  });

  it('guards: not known, nothing said: a remote component before it, a component with components of its own, a build that is itself a Component', () => {
    const remote = 'namespace: ci\nresources:\n  - ../base\ncomponents:\n  - https://github.com/example/kust//c?ref=v1\n  - ../extra\n';
    expect(mergeErrors(walked({ ...BASE, 'extra/kustomization.yaml': merging('runner-extra'), 'overlay/kustomization.yaml': remote }))).toEqual([]);
    const nested = `${merging('runner-extra')}components:\n  - ../more\n`;
    expect(mergeErrors(walked({ ...BASE, 'extra/kustomization.yaml': nested, 'more/kustomization.yaml': `${COMPONENT}resources: []\n`, 'overlay/kustomization.yaml': OVERLAY }))).toEqual([]);
    const parent = `${COMPONENT}components:\n  - ../extra\n`;
    expect(mergeErrors(walked({ ...BASE, 'extra/kustomization.yaml': merging('runner-extra'), 'parent/kustomization.yaml': parent }))).toEqual([]);
  });
});

describe('hostile inputs', () => {
  it('a 200,000-character name is said cut short; 200,000 blank lines in the component are read through', () => {
    const long = 'n'.repeat(200_000);
    const r = walked({ ...BASE, 'extra/kustomization.yaml': merging(long), 'overlay/kustomization.yaml': OVERLAY });
    const f = mergeErrors(r);
    expect(f).toHaveLength(1);
    expect(f[0]!.message.length).toBeLessThan(3000);
    const blank = `${COMPONENT}${'\n'.repeat(200_000)}configMapGenerator:\n  - name: runner-extra\n    behavior: merge\n`;
    const s = walked({ ...BASE, 'extra/kustomization.yaml': blank, 'overlay/kustomization.yaml': OVERLAY });
    expect(mergeErrors(s).map((x) => x.path)).toEqual([placeOf('overlay/kustomization.yaml', OVERLAY, '../extra')]);
  });
});
