import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { restrictorLiftedBy } from '../src/doctor/kustomize-restrictor.js';
import { placeOf, plainManager, chainManagers as managers, codesIn as codes, doctorWalked as walked } from './helpers/doctor.js';

/**
 * Stop 56 (56f). `--load-restrictor LoadRestrictionsNone` is a flag of one `kustomize build` (or
 * `kubectl kustomize`) run: it lifts kustomize's load restrictor for the kustomization that command
 * builds and what it lists, not for every kustomization given. Stop 55 read one such command anywhere
 * as lifting it everywhere, so a second overlay loading files from outside its folder, built by no
 * such command, was read as if kustomize built it.
 */

const M = plainManager();
const CLUSTER = 'resource "aws_eks_cluster" "c" {\n  name = "c"\n}\n';
const byFile = 'namespace: ci\nresources:\n  - ../shared/sa.yaml\n  - ../shared/config.yaml\n  - ../shared/deploy.yaml\n';
const SHARED = { 'shared/sa.yaml': M.serviceAccounts, 'shared/config.yaml': M.configMap, 'shared/deploy.yaml': M.deployment, 'cluster.tf': CLUSTER };
const TWO = { ...SHARED, 'prod/kustomization.yaml': byFile, 'staging/kustomization.yaml': byFile };
/** The kustomization files whose build the load restrictor fails (RF946 at their first file outside). */
const refused = (r: DoctorResult): string[] =>
  [...new Set(codes(r, 'RF946').filter((f) => f.message.includes('LoadRestrictionsRootOnly')).map((f) => /([a-z]+)\/kustomization\.yaml:\d+/.exec(f.path)?.[1] ?? f.path))].sort();

describe('a build command lifts the load restrictor for the kustomization it builds only', () => {
  it('build.sh builds prod with LoadRestrictionsNone: staging, built by no such command, still fails (before: no RF946 at all)', () => {
    const r = walked({ ...TWO, 'build.sh': '#!/bin/sh\nkustomize build --load-restrictor LoadRestrictionsNone prod | kubectl apply -f -\n' });
    expect(refused(r)).toEqual(['staging']);
  });

  it('kubectl kustomize with the flag after the folder, and `--flag=value`: the folder it names only', () => {
    expect(refused(walked({ ...TWO, 'deploy.sh': '#!/bin/sh\nkubectl kustomize staging --load-restrictor LoadRestrictionsNone > out.yaml\n' }))).toEqual(['prod']);
    expect(refused(walked({ ...TWO, 'deploy.sh': '#!/bin/sh\nkustomize build --load-restrictor=LoadRestrictionsNone -o out.yaml staging\n' }))).toEqual(['prod']);
  });

  it("a script in a folder of its own: the path is read from the script's folder; a line continued with a backslash is one command", () => {
    const r = walked({ ...TWO, 'scripts/build.sh': '#!/bin/sh\nkustomize build \\\n  --load-restrictor LoadRestrictionsNone \\\n  ../prod | kubectl apply -f -\n' });
    expect(refused(r)).toEqual(['staging']);
  });

  it('both overlays built by commands with the flag: neither fails; the same commands without the flag: both fail', () => {
    const both = '#!/bin/sh\nkustomize build --load-restrictor LoadRestrictionsNone prod > prod.yaml\nkustomize build --load-restrictor LoadRestrictionsNone staging > staging.yaml\n';
    expect(refused(walked({ ...TWO, 'build.sh': both }))).toEqual([]);
    expect(refused(walked({ ...TWO, 'build.sh': both.replaceAll('--load-restrictor LoadRestrictionsNone ', '') }))).toEqual(['prod', 'staging']);
  });

  it('twin: where the build is not known, every build as before: a variable, the working folder, a folder not given, Argo CD build options', () => {
    expect(refused(walked({ ...TWO, 'build.sh': '#!/bin/sh\nkustomize build --load-restrictor LoadRestrictionsNone "$OVERLAY"\n' }))).toEqual([]);
    expect(refused(walked({ ...TWO, 'build.sh': '#!/bin/sh\ncd prod && kustomize build --load-restrictor LoadRestrictionsNone\n' }))).toEqual([]);
    expect(refused(walked({ ...TWO, 'build.sh': '#!/bin/sh\nkustomize build --load-restrictor LoadRestrictionsNone deploy/overlays/prod\n' }))).toEqual([]);
    const argo = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n  namespace: argocd\ndata:\n  kustomize.buildOptions: --load-restrictor LoadRestrictionsNone\n';
    expect(refused(walked({ ...TWO, 'argocd/argocd-cm.yaml': argo }))).toEqual([]);
  });
});

describe('restrictorLiftedBy reads the command line', () => {
  const of = (text: string) => restrictorLiftedBy(new Map([['ci/build.sh', text]]));

  it('the folder each build names, past flags that take a value and up to the end of the command', () => {
    expect(of('kustomize build -o /tmp/x.yaml --enable-helm --load-restrictor LoadRestrictionsNone overlays/prod 2>&1 | tee log\n')).toEqual([{ script: 'ci/build.sh', path: 'overlays/prod' }]);
    expect(of("/usr/local/bin/kustomize build --load_restrictor none 'a b' && echo done # v3 spelling\n")).toEqual([{ script: 'ci/build.sh', path: 'a b' }]);
    expect(of('kustomize build overlays/dev > dev.yaml; kustomize build --load-restrictor LoadRestrictionsNone overlays/prod\n')).toEqual([{ script: 'ci/build.sh', path: 'overlays/prod' }]);
  });

  it("'all' where the build is not known; nothing where no text has the flag", () => {
    expect(of('kustomize build --load-restrictor LoadRestrictionsNone $(git rev-parse --show-toplevel)/prod\n')).toBe('all');
    expect(of('kustomize build --load-restrictor LoadRestrictionsNone a b\n')).toBe('all');
    expect(of('KUSTOMIZE_FLAGS="--load-restrictor LoadRestrictionsNone"\n')).toBe('all');
    expect(of('kustomize build overlays/prod\n')).toEqual([]);
  });
});

describe("a component's generators over the build it is listed in", () => {
  const BASE = { 'base/kustomization.yaml': 'resources:\n  - sa.yaml\n  - config.yaml\n  - deploy.yaml\n', 'base/sa.yaml': M.serviceAccounts, 'base/config.yaml': M.configMap, 'base/deploy.yaml': M.deployment, 'cluster.tf': CLUSTER };
  const settings = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n';
  const gen = (behavior = '') => `apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nconfigMapGenerator:\n  - name: settings\n${behavior}    literals:\n      - a=c\n`;
  const created = (r: DoctorResult) => codes(r, 'RF946').filter((x) => x.message.includes("can not use behavior: 'create'"));

  it("a component's generator making a ConfigMap the overlay's resources hold: RF946 at the component's entry (before: built as if kustomize merged them)", () => {
    const overlay = 'resources:\n  - ../base\n  - settings.yaml\ncomponents:\n  - ../gen\n';
    const r = walked({ ...BASE, 'gen/kustomization.yaml': gen(), 'overlay/settings.yaml': settings, 'overlay/kustomization.yaml': overlay });
    const f = created(r);
    expect(f.map((x) => x.path)).toEqual([placeOf('overlay/kustomization.yaml', overlay, '../gen')]);
    expect(f[0]!.message).toContain('components[0] (../gen) generates ConfigMap default/settings with its configMapGenerator[0]');
    expect(f[0]!.message).toContain('which resources[1] (settings.yaml) writes it');
    expect(f[0]!.fix).toContain('gen/kustomization.yaml');
  });

  it("an earlier component's generator and a later one's of the same ConfigMap: RF946 at the later", () => {
    const overlay = 'resources:\n  - ../base\ncomponents:\n  - ../gen\n  - ../gen2\n';
    const r = walked({ ...BASE, 'gen/kustomization.yaml': gen(), 'gen2/kustomization.yaml': gen(), 'overlay/kustomization.yaml': overlay });
    expect(created(r).map((x) => [x.path, x.message.includes('which components[0] (../gen) generates it')])).toEqual([[placeOf('overlay/kustomization.yaml', overlay, '../gen2'), true]]);
  });

  it('twin: behavior merge (before: a false RF946, the component read alone as a build holding no ConfigMap), a name the build does not hold, or a component that moves ids before the second: nothing said, the manager proven', () => {
    const overlay = 'resources:\n  - ../base\n  - settings.yaml\ncomponents:\n  - ../gen\n';
    const merge = walked({ ...BASE, 'gen/kustomization.yaml': gen('    behavior: merge\n'), 'overlay/settings.yaml': settings, 'overlay/kustomization.yaml': overlay });
    expect([codes(merge, 'RF946'), managers(merge)]).toEqual([[], ['manager default/gitlab-runner']]);
    const fresh = walked({ ...BASE, 'gen/kustomization.yaml': gen(), 'overlay/kustomization.yaml': 'resources:\n  - ../base\ncomponents:\n  - ../gen\n' });
    expect(codes(fresh, 'RF946')).toEqual([]);
    const mover = gen().replace('kind: Component\n', 'kind: Component\nnamespace: other\n');
    const moved = walked({ ...BASE, 'gen/kustomization.yaml': mover, 'gen2/kustomization.yaml': gen(), 'overlay/kustomization.yaml': 'resources:\n  - ../base\ncomponents:\n  - ../gen\n  - ../gen2\n' });
    expect(codes(moved, 'RF946')).toEqual([]);
  });
});
