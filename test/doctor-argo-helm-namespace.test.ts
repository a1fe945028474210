import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { argoApplication, doctorTexts, irsaChartValues } from './helpers/doctor.js';

/**
 * Issue 34e. Argo CD templates a chart with `helm.namespace`, else `destination.namespace`
 * (ApplicationSource.GetNamespaceOrDefault), and the gitlab-runner chart writes every object's
 * namespace from `.Release.Namespace`; Argo CD puts only objects rendered with no namespace into
 * destination.namespace. So the manager runs in helm.namespace; where both are written and differ,
 * the chain says which was used.
 */

const codes = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const HELM = `      valuesObject:\n${irsaChartValues(8)}`;
const chainLine = (r: DoctorResult) => [...r.chains.values()].map((l) => l[0]!);

describe("an Argo CD Application's helm.namespace", () => {
  it('helm.namespace and destination.namespace differ: the manager is in helm.namespace, and the chain says which and why', () => {
    const app = argoApplication({ helm: `      namespace: runners\n${HELM}`, namespace: 'ci' });
    const r = doctorTexts({ 'app.yaml': app });
    const [line, ...more] = chainLine(r);
    expect(more).toEqual([]);
    expect(line).toMatch(/^manager runners\/gitlab-runner \(/);
    expect(line).toContain("namespace runners: Application gitlab-runner's helm.namespace (app.yaml:");
    expect(line).toContain('its destination.namespace ci (app.yaml:');
    // The jobs namespace is {{ .Release.Namespace }}: helm.namespace too.
    expect([...r.chains.values()][0]!.join('\n')).toContain('jobs runners/');
  });

  it('helm.namespace with no destination.namespace: the namespace is known (no RF903 that it is not)', () => {
    const app = argoApplication({ helm: `      namespace: runners\n${HELM}`, namespace: 'ci' }).replace('    namespace: ci\n', '');
    const r = doctorTexts({ 'app.yaml': app });
    expect(codes(r, 'RF903').filter((f) => f.message.includes('destination.namespace is not written'))).toEqual([]);
    expect(chainLine(r).map((l) => l.split(' (')[0])).toEqual(['manager runners/gitlab-runner']);
  });

  it('twin: the same namespace in both, or destination.namespace alone: no note, the chain as before', () => {
    for (const helm of [`      namespace: ci\n${HELM}`, HELM]) {
      const r = doctorTexts({ 'app.yaml': argoApplication({ helm, namespace: 'ci' }) });
      const [line] = chainLine(r);
      expect(line).toMatch(/^manager ci\/gitlab-runner \(/);
      expect(line).not.toContain('helm.namespace');
    }
  });

  it('the chart\'s own namespace value still places the manager over helm.namespace: no note', () => {
    const helm = `      namespace: runners\n${HELM.replace('        gitlabUrl:', '        namespace: elsewhere\n        gitlabUrl:')}`;
    const r = doctorTexts({ 'app.yaml': argoApplication({ helm, namespace: 'ci' }) });
    const [line] = chainLine(r);
    expect(line).toMatch(/^manager elsewhere\/gitlab-runner \(/);
    expect(line).not.toContain('helm.namespace');
  });
});
