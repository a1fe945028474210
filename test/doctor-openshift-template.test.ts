import { describe, expect, it } from 'vitest';
import { readEvidence } from '../src/doctor/index.js';
import type { Evidence } from '../src/doctor/evidence.js';
import { processTemplate } from '../src/doctor/openshift-template.js';
import { doctorTexts, placeOf, plainManager, templateObjects } from './helpers/doctor.js';

/**
 * OpenShift Templates (`kind: Template`): their objects are read as documents of the file, with the
 * parameters that have a value substituted as `oc process` substitutes them (`${NAME}` in strings,
 * `${{NAME}}` as a JSON value), findings at the objects' places in the template. An object that uses
 * a parameter without a value (required, generated) is said (RF903, naming it) and not read; a
 * template that cannot be processed is said (RF902) and none of its objects is read.
 */

const evidence = (files: Record<string, string>): Evidence => readEvidence(Object.entries(files).map(([path, text]) => ({ path, bytes: new TextEncoder().encode(text) })));
const objectsOf = (ev: Evidence) => ev.kubernetes.map((o) => o.value);
const named = (ev: Evidence, kind: string) => objectsOf(ev).filter((o) => o.kind === kind);

/** A manager template: parameters first, then the objects (each a YAML block at two spaces). */
function template(parameters: string, objects: string, head = 'apiVersion: template.openshift.io/v1\nkind: Template\nmetadata:\n  name: runner\n'): string {
  return `${head}parameters:\n${parameters}objects:\n${objects}`;
}

const PARAMS = `  - name: NAME
    value: gitlab-runner
  - name: PRIVILEGED
    value: "true"
  - name: REPLICAS
    value: "2"
`;

// The manager's objects, named by the NAME parameter, with privileged and replicas from PRIVILEGED and REPLICAS.
const MANAGER = templateObjects(
  plainManager({ name: '${NAME}', serviceAccount: '${NAME}', app: '${NAME}', configMap: '${NAME}-config', runnerName: '${NAME}', kubernetes: ['image = "alpine:3.22"', 'privileged = ${PRIVILEGED}'], spec: '  replicas: ${{REPLICAS}}\n' }).documents,
);

describe('OpenShift Template objects are read as documents of the file', () => {
  it('substitutes ${NAME} in strings and ${{NAME}} as a JSON value; the objects are Kubernetes evidence at their places in the template', () => {
    const text = template(PARAMS, MANAGER);
    const ev = evidence({ 'template.yaml': text });
    expect(objectsOf(ev).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ServiceAccount/gitlab-runner', 'ConfigMap/gitlab-runner-config', 'Deployment/gitlab-runner']);
    const deployment = named(ev, 'Deployment')[0] as unknown as { spec: { replicas: unknown; template: { spec: { serviceAccountName: string } } } };
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.template.spec.serviceAccountName).toBe('gitlab-runner');
    expect(ev.kubernetes.map((o) => o.origin.path)).toEqual([['objects', 0], ['objects', 1], ['objects', 2]]);
    // The Template itself is not an object of the evidence.
    expect(named(ev, 'Template')).toEqual([]);
  });

  it('a finding about an object points at the template: privileged = ${PRIVILEGED} with value "true" is RF301 at its line', () => {
    const text = template(PARAMS, MANAGER);
    const r = doctorTexts({ 'template.yaml': text });
    expect(r.findings.filter((f) => f.code === 'RF301').map((f) => f.path)).toEqual([placeOf('template.yaml', text, 'privileged = ${PRIVILEGED}')]);
    // Given the value false, the same template has no RF301: the value is read, not the reference.
    const off = doctorTexts({ 'template.yaml': template(PARAMS.replace('value: "true"', 'value: "false"'), MANAGER) });
    expect(off.findings.filter((f) => f.code === 'RF301')).toEqual([]);
  });

  it('a Template of the legacy apiVersion v1, and one inside a List, are read the same', () => {
    const legacy = evidence({ 't.yaml': template(PARAMS, MANAGER, 'apiVersion: v1\nkind: Template\nmetadata:\n  name: runner\n') });
    expect(named(legacy, 'Deployment').map((o) => o.metadata.name)).toEqual(['gitlab-runner']);
    const inList = template(PARAMS, MANAGER).replace(/^/gm, '    ').replace(/^ {4}apiVersion: template/, '  - apiVersion: template');
    const listed = evidence({ 'list.yaml': `apiVersion: v1\nkind: List\nitems:\n${inList}` });
    expect(named(listed, 'ServiceAccount').map((o) => o.metadata.name)).toEqual(['gitlab-runner']);
    expect(listed.kubernetes[0]!.origin.path).toEqual(['items', 0, 'objects', 0]);
  });

  it('a Template without metadata.name (oc process -f needs none) is read all the same, and named so where it is not', () => {
    const head = 'apiVersion: template.openshift.io/v1\nkind: Template\n';
    expect(named(evidence({ 't.yaml': template(PARAMS, MANAGER, head) }), 'Deployment').map((o) => o.metadata.name)).toEqual(['gitlab-runner']);
    const broken = evidence({ 't.yaml': template(PARAMS, '  name: x\n', head) });
    expect(broken.findings.filter((f) => f.code === 'RF902').map((f) => f.message)).toEqual([expect.stringMatching(/^The Template without metadata.name is not read: objects is a mapping, not a list;/)]);
  });

  it('a reference no parameter declares stays as written; ${{NAME}} inside a longer string is not substituted; a non-JSON ${{NAME}} value stays a string', () => {
    const r = processTemplate({
      parameters: [{ name: 'A', value: 'x y' }, { name: 'N', value: '3' }],
      objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '${UNDECLARED}-${A}', b: 'pre-${{N}}', c: '${{A}}', d: '${{N}}' } }],
    });
    expect(r).toEqual({ objects: [{ index: 0, value: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '${UNDECLARED}-x y', b: 'pre-${{N}}', c: 'x y', d: 3 } } }] });
  });

  it('a parameter with neither value, generate nor required is the empty string, as oc process makes it', () => {
    const r = processTemplate({ parameters: [{ name: 'TAGS' }], objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { tags: 'x${TAGS}y' } }] });
    expect(r).toEqual({ objects: [{ index: 0, value: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { tags: 'xy' } } }] });
  });

  it('a literal namespace of an object is removed (it is created where the template is processed); one written with a parameter is kept', () => {
    const r = processTemplate({
      parameters: [{ name: 'NS', value: 'runners' }],
      objects: [
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'a', namespace: 'fixed' } },
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'b', namespace: '${NS}' } },
      ],
    });
    expect('objects' in r && r.objects.map((o) => o.value?.metadata)).toEqual([{ name: 'a' }, { name: 'b', namespace: 'runners' }]);
  });

  it("the template's labels are added to every object's labels, substituted", () => {
    const r = processTemplate({ parameters: [{ name: 'APP', value: 'runner' }], labels: { app: '${APP}' }, objects: [{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'a', labels: { tier: 'ci' } } }] });
    expect('objects' in r && r.objects[0]!.value?.metadata).toEqual({ name: 'a', labels: { tier: 'ci', app: 'runner' } });
  });
});

describe('a parameter without a value makes what uses it unknown (RF903), never invented', () => {
  it('a generated parameter in the manager Deployment: RF903 naming it at the reference, the Deployment is not read, and RF910 names it', () => {
    const params = `${PARAMS}  - name: SUFFIX\n    generate: expression\n    from: "[a-z]{5}"\n`;
    const objects = MANAGER.replace('    kind: Deployment\n    metadata:\n      name: ${NAME}', '    kind: Deployment\n    metadata:\n      name: ${NAME}-${SUFFIX}');
    const text = template(params, objects);
    const ev = evidence({ 'template.yaml': text });
    expect(named(ev, 'Deployment')).toEqual([]);
    expect(named(ev, 'ServiceAccount').map((o) => o.metadata.name)).toEqual(['gitlab-runner']);
    const r = doctorTexts({ 'template.yaml': text });
    const rf903 = r.findings.filter((f) => f.code === 'RF903' && f.message.includes('SUFFIX'));
    expect(rf903.map((f) => f.path)).toEqual([placeOf('template.yaml', text, '${NAME}-${SUFFIX}')]);
    expect(rf903[0]!.message).toContain('generated');
    expect(rf903[0]!.message).toContain('Deployment ${NAME}-${SUFFIX} (objects[2])');
    // Nothing is proven from the ConfigMap's privileged jobs as a manager's: no manager was read.
    expect(r.findings.filter((f) => f.code === 'RF910').map((f) => f.message)).toEqual([expect.stringContaining(`OpenShift Template objects that may run one were not read: the Deployment \${NAME}-\${SUFFIX} (objects[2]) of Template runner at ${placeOf('template.yaml', text, '${NAME}-${SUFFIX}')} (RF903)`)]);
  });

  it('a required parameter without a value in config.toml: RF903 naming it (required), the ConfigMap is not read', () => {
    const params = `${PARAMS}  - name: GITLAB_URL\n    required: true\n`;
    const text = template(params, MANAGER.replace('url = "https://gitlab.example.com/"', 'url = "${GITLAB_URL}"'));
    const ev = evidence({ 'template.yaml': text });
    expect(named(ev, 'ConfigMap')).toEqual([]);
    const f = ev.findings.filter((x) => x.code === 'RF903');
    expect(f.map((x) => [x.path, x.received])).toEqual([[placeOf('template.yaml', text, '|\n        concurrent'), 'GITLAB_URL']]);
    expect(f[0]!.message).toContain('GITLAB_URL (required: given when the template is processed)');
    // A required parameter with a value is that value.
    const given = evidence({ 'template.yaml': template(`${PARAMS}  - name: GITLAB_URL\n    required: true\n    value: https://gitlab.example.com/\n`, MANAGER.replace('url = "https://gitlab.example.com/"', 'url = "${GITLAB_URL}"')) });
    expect(named(given, 'ConfigMap').map((o) => o.metadata.name)).toEqual(['gitlab-runner-config']);
    expect(given.findings.filter((x) => x.code === 'RF903')).toEqual([]);
  });

  it('an object named only by generateName is not read (RF903): its name is made at creation', () => {
    const text = template(PARAMS, MANAGER.replace('    kind: ServiceAccount\n    metadata:\n      name: ${NAME}', '    kind: ServiceAccount\n    metadata:\n      generateName: ${NAME}-'));
    const ev = evidence({ 'template.yaml': text });
    expect(named(ev, 'ServiceAccount')).toEqual([]);
    expect(ev.findings.filter((x) => x.code === 'RF903').map((x) => x.path)).toEqual([placeOf('template.yaml', text, '${NAME}-\n')]);
    expect(ev.findings.filter((x) => x.code === 'RF901')).toEqual([]);
  });

  it("a Secret's values are never evidence: a generated password in one does not keep the Secret from being read, and ${{DATA}} values are dropped too", () => {
    const text = template(`  - name: PASSWORD\n    generate: expression\n    from: "[a-z]{8}"\n  - name: DATA\n    value: '{"token":"not-a-real-value"}'\n`, `  - apiVersion: v1\n    kind: Secret\n    metadata: {name: a}\n    stringData:\n      password: \${PASSWORD}\n  - apiVersion: v1\n    kind: Secret\n    metadata: {name: b}\n    stringData: \${{DATA}}\n`);
    const ev = evidence({ 'template.yaml': text });
    expect(named(ev, 'Secret').map((o) => [o.metadata.name, (o as unknown as { stringData: unknown }).stringData])).toEqual([['a', { password: '' }], ['b', { token: '' }]]);
    expect(ev.findings).toEqual([]);
  });
});

describe('credentials in a Template', () => {
  // A fake token of the real shape (the credential scanner may flag this line).
  const TOKEN = 'glrt-EXAMPLEexampleEXAMPLE12';
  it("a runner token as a parameter's value is RF940 at the parameter, never shown", () => {
    const text = template(`${PARAMS}  - name: RUNNER_TOKEN\n    value: ${TOKEN}\n`, MANAGER.replace('              volumeMounts:', '              env:\n                - name: CI_SERVER_TOKEN\n                  value: ${RUNNER_TOKEN}\n              volumeMounts:'));
    const r = doctorTexts({ 'template.yaml': text });
    expect(r.findings.filter((f) => f.code === 'RF940').map((f) => f.path)).toEqual([placeOf('template.yaml', text, TOKEN)]);
    expect(JSON.stringify(r.findings)).not.toContain(TOKEN);
  });
});

describe('a Template that cannot be processed is named as not read (RF902)', () => {
  // `at`: where the finding points, the first such text after `after`.
  const cases: { name: string; params: string; objects: string; at: string; after: string }[] = [
    { name: 'objects is not a list', params: PARAMS, objects: '  name: x\n', at: 'name: x', after: 'objects:' },
    { name: 'an object is not a mapping', params: PARAMS, objects: '  - just a string\n', at: 'just a string', after: 'objects:' },
    { name: 'an object has no kind', params: PARAMS, objects: '  - apiVersion: v1\n    metadata: {name: x}\n', at: 'apiVersion: v1', after: 'objects:' },
    { name: 'a parameter value is a number', params: '  - name: N\n    value: 3\n', objects: MANAGER, at: '3', after: 'parameters:' },
    { name: 'required is a string', params: '  - name: N\n    required: "yes"\n', objects: MANAGER, at: '"yes"', after: 'parameters:' },
    { name: 'a parameter is declared twice', params: `${PARAMS}  - name: NAME\n    value: other\n`, objects: MANAGER, at: 'NAME', after: 'value: "2"' },
    { name: 'a ${{NAME}} value nests more than 100 levels', params: `  - name: DEEP\n    value: '${'['.repeat(150)}${']'.repeat(150)}'\n`, objects: '  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: c}\n    data:\n      x: ${{DEEP}}\n', at: '${{DEEP}}', after: 'x: ' },
    { name: 'a ${{NAME}} mapping key becomes a number', params: '  - name: K\n    value: "5"\n', objects: '  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: c}\n    data:\n      ${{K}}: v\n', at: 'v', after: '${{K}}:' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const text = template(c.params, c.objects);
      expect(text.indexOf(c.after)).toBeGreaterThanOrEqual(0);
      const ev = evidence({ 'template.yaml': text });
      expect(ev.kubernetes).toEqual([]);
      const rf902 = ev.findings.filter((f) => f.code === 'RF902');
      expect(rf902.map((f) => f.path)).toEqual([placeOf('template.yaml', text, c.at, text.indexOf(c.after) + c.after.length)]);
      expect(rf902[0]!.message).toMatch(/^Template runner is not read: .*none of the objects it creates is read/);
    });
  }
});
