import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorTexts, placeOf, plainManager } from './helpers/doctor.js';

/**
 * Issue 37c, kustomize patches. A `patches` / `patchesJson6902` target's namespace is matched against
 * an object's original namespace and its current one (kustomize api/resmap/reswrangler.go Select;
 * none written is `default`), the kustomization's own `namespace:` running after its strategic-merge
 * patches and before its JSON 6902 ones. A strategic-merge patch with no target whose id no object
 * of a closed build has fails `kustomize build` (GetById, "no matches for Id"): RF939.
 */

const codes = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const ROLE = 'arn:aws:iam::111122223333:role/ci-gitlab-runner';
const roleNotGiven = (r: DoctorResult) => codes(r, 'RF903').filter((f) => f.message.includes('role ci-gitlab-runner is not in the evidence given'));
const { serviceAccounts: SA, configMap: CONFIG, deployment: DEPLOY } = plainManager();
const base = (kustomization: string, more: Record<string, string> = {}): Record<string, string> => ({ 'runner/kustomization.yaml': kustomization, 'runner/sa.yaml': SA, 'runner/config.yaml': CONFIG, 'runner/deploy.yaml': DEPLOY, ...more });
const RESOURCES = 'resources:\n  - sa.yaml\n  - config.yaml\n  - deploy.yaml\n';
/** A strategic-merge patch annotating ServiceAccount `name` with the role. */
const saPatch = (name = 'gitlab-runner', extra = '') => `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n${extra}  annotations:\n    eks.amazonaws.com/role-arn: ${ROLE}\n`;
const target = (namespace: string) => `    target:\n      kind: ServiceAccount\n      name: gitlab-runner\n      namespace: ${namespace}\n`;
const JSON_ANNOTATE = `- op: add\n  path: /metadata/annotations\n  value:\n    eks.amazonaws.com/role-arn: ${ROLE}\n`;

describe("a patch target's namespace: the object's original namespace or its current one, before the kustomization's own", () => {
  /** runner/ (namespace ci) listed by overlay/, whose patch targets the ServiceAccount in `namespace`. */
  const overlay = (namespace: string) => doctorTexts({ ...base(`namespace: ci\n${RESOURCES}`), 'overlay/kustomization.yaml': `resources:\n  - ../runner\npatches:\n  - path: sa-patch.yaml\n${target(namespace)}`, 'overlay/sa-patch.yaml': saPatch() });

  it('an outer patch targeting namespace default (as the file writes it: none) still picks the ServiceAccount an inner kustomization moved to ci', () => {
    expect(roleNotGiven(overlay('default')).map((f) => f.path)).toEqual([placeOf('overlay/sa-patch.yaml', saPatch(), ROLE)]);
  });

  it('twin: targeting ci (where the inner kustomization moved it) picks it too; targeting tools picks nothing', () => {
    expect(roleNotGiven(overlay('ci')).length).toBe(1);
    expect(roleNotGiven(overlay('tools'))).toEqual([]);
  });

  it("in one kustomization: a patches entry runs before its namespace, so a target of namespace ci does not pick an object written with none; one of default does", () => {
    const one = (namespace: string) => doctorTexts(base(`namespace: ci\n${RESOURCES}patches:\n  - path: sa-patch.yaml\n${target(namespace)}`, { 'runner/sa-patch.yaml': saPatch() }));
    expect(roleNotGiven(one('ci'))).toEqual([]);
    expect(roleNotGiven(one('default')).length).toBe(1);
  });

  it('in one kustomization: a patchesJson6902 entry runs after its namespace, and a target of the namespace written (default) still picks the object, as one of ci does', () => {
    const one = (namespace: string) => doctorTexts(base(`namespace: ci\n${RESOURCES}patchesJson6902:\n  - path: sa.json.yaml\n${target(namespace).replace('    target:\n', '    target:\n      version: v1\n')}`, { 'runner/sa.json.yaml': JSON_ANNOTATE }));
    expect(roleNotGiven(one('default')).length).toBe(1);
    expect(roleNotGiven(one('ci')).length).toBe(1);
    expect(roleNotGiven(one('tools'))).toEqual([]);
  });
});

describe('a strategic-merge patch with no target that matches no object: kustomize build fails (RF939)', () => {
  const rf939 = (r: DoctorResult) => codes(r, 'RF939');

  it('patchesStrategicMerge naming a ServiceAccount the build does not have: RF939 (error) at the entry, with the error kustomize gives', () => {
    const k = `namespace: ci\n${RESOURCES}patchesStrategicMerge:\n  - sa-patch.yaml\n`;
    const r = doctorTexts(base(k, { 'runner/sa-patch.yaml': saPatch('gitlab-runer') }));
    expect(rf939(r).map((f) => [f.path, f.severity])).toEqual([[placeOf('runner/kustomization.yaml', k, 'sa-patch.yaml'), 'error']]);
    expect(rf939(r)[0]!.message).toContain('so `kustomize build` fails: no matches for Id ServiceAccount.v1.[noGrp]/gitlab-runer.[noNs]; failed to find unique target for patch ServiceAccount.v1.[noGrp]/gitlab-runer.[noNs]');
  });

  it('a patches entry with a path and no target, of a namespace the object never had: RF939 with the PatchTransformer error', () => {
    const k = `namespace: ci\n${RESOURCES}patches:\n  - path: sa-patch.yaml\n`;
    const r = doctorTexts(base(k, { 'runner/sa-patch.yaml': saPatch('gitlab-runner', '  namespace: tools\n') }));
    expect(rf939(r).map((f) => f.path)).toEqual([placeOf('runner/kustomization.yaml', k, 'path: sa-patch.yaml')]);
    expect(rf939(r)[0]!.message).toContain('fails: no resource matches strategic merge patch "ServiceAccount.v1.[noGrp]/gitlab-runner.tools": no matches for Id ServiceAccount.v1.[noGrp]/gitlab-runner.tools');
  });

  it('an apiVersion the object does not have: no match either (the id compares group and version)', () => {
    const r = doctorTexts(base(`${RESOURCES}patches:\n  - path: d-patch.yaml\n`, { 'runner/d-patch.yaml': 'apiVersion: apps/v1beta1\nkind: Deployment\nmetadata:\n  name: gitlab-runner\nspec:\n  replicas: 1\n' }));
    expect(rf939(r).length).toBe(1);
  });

  it('twin: a patch of an object the build has (in namespace ci, or written with none: default, before the namespace) is no RF939', () => {
    expect(rf939(doctorTexts(base(`namespace: ci\n${RESOURCES}patchesStrategicMerge:\n  - sa-patch.yaml\n`, { 'runner/sa-patch.yaml': saPatch() })))).toEqual([]);
    const moved = doctorTexts({ ...base(`namespace: ci\n${RESOURCES}`), 'overlay/kustomization.yaml': 'resources:\n  - ../runner\npatches:\n  - path: sa-patch.yaml\n', 'overlay/sa-patch.yaml': saPatch('gitlab-runner', '  namespace: ci\n') });
    expect(rf939(moved)).toEqual([]);
    expect(roleNotGiven(moved).length).toBe(1);
  });

  it('twin: where the build is not closed (a resource not given, a generator, a name prefix) or the object is a document the doctor keeps apart (a HelmRelease), nothing is said', () => {
    const patch = { 'runner/sa-patch.yaml': saPatch('other') };
    const smp = 'patchesStrategicMerge:\n  - sa-patch.yaml\n';
    expect(rf939(doctorTexts(base(`${RESOURCES}  - remote.yaml\n${smp}`, patch)))).toEqual([]);
    expect(rf939(doctorTexts(base(`${RESOURCES}  - https://example.com/base.yaml\n${smp}`, patch)))).toEqual([]);
    expect(rf939(doctorTexts(base(`${RESOURCES}configMapGenerator:\n  - name: x\n    literals: [a=b]\n${smp}`, patch)))).toEqual([]);
    expect(rf939(doctorTexts({ ...base(`namePrefix: p-\n${RESOURCES}`), 'overlay/kustomization.yaml': `resources:\n  - ../runner\n${smp}`, 'overlay/sa-patch.yaml': saPatch('p-gitlab-runner') }))).toEqual([]);
    const release = 'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: other\nspec:\n  chart:\n    spec:\n      chart: podinfo\n';
    expect(rf939(doctorTexts(base(`${RESOURCES}  - release.yaml\npatches:\n  - path: hr-patch.yaml\n`, { 'runner/release.yaml': release, 'runner/hr-patch.yaml': 'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: other\nspec:\n  suspend: true\n' })))).toEqual([]);
    // A patch with no name fails on that before any lookup (kyaml GetValidatedMetadata): not this finding.
    expect(rf939(doctorTexts(base(`${RESOURCES}${smp}`, { 'runner/sa-patch.yaml': 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  labels:\n    a: b\n' })))).toEqual([]);
    // Closed, and the object is not there: said.
    expect(rf939(doctorTexts(base(`${RESOURCES}${smp}`, patch))).length).toBe(1);
  });
});
