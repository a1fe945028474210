import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parse as parseToml } from 'smol-toml';
import { exampleFiles, exampleNames } from './helpers/fleet.js';
import { manifestProblems } from './helpers/k8s.js';
import { unknownTomlKeys } from '../src/emit/toml/known-keys.js';
import { CHART_VALUE_KEYS } from '../src/emit/helm/values.js';
import { toYaml } from '../src/emit/serialize.js';

function yamlDocs(content: string, version: '1.1' | '1.2'): unknown[] {
  return parseAllDocuments(content, { version }).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as unknown;
  });
}

const files = exampleNames().flatMap((name) => exampleFiles(name).map((f) => ({ name, ...f })));

describe('YAML reads the same under 1.1 and 1.2', () => {
  it.each(files.filter((f) => f.path.endsWith('.yaml') || f.path.endsWith('.yml')).map((f) => [`${f.name}/${f.path}`, f.content]))('%s', (_p, content) => {
    expect(yamlDocs(content, '1.1')).toEqual(yamlDocs(content, '1.2'));
  });

  it('the check catches values that differ between the versions', () => {
    // If our serializer wrote these bare, a YAML 1.1 reader would see booleans, numbers and dates.
    const risky = { a: 'on', b: 'yes', c: 'no', d: '1:30', e: '2024-01-01', f: 'off', g: '0o17', h: 'y' };
    const raw = Object.entries(risky).map(([k, v]) => `${k}: ${v}`).join('\n');
    expect(yamlDocs(raw, '1.1')).not.toEqual(yamlDocs(raw, '1.2'));
    const ours = toYaml(risky);
    expect(yamlDocs(ours, '1.1')).toEqual(yamlDocs(ours, '1.2'));
    expect(yamlDocs(ours, '1.2')).toEqual([risky]);
  });
});

describe('Kubernetes manifests validate against the OpenAPI schemas, field lists and DNS-1123', () => {
  const manifests = files.filter((f) => f.path.startsWith('kubernetes/') || (f.path.startsWith('clusters/') && f.path.endsWith('rbac.yaml')));
  it('there are manifests to check', () => expect(manifests.length).toBeGreaterThan(5));
  it.each(manifests.map((f) => [`${f.name}/${f.path}`, f.content]))('%s', (_p, content) => {
    for (const doc of yamlDocs(content, '1.2')) expect(manifestProblems(doc as Record<string, unknown>)).toEqual([]);
  });

  it.each([
    ['unknown top-level field', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'a', namespace: 'b' }, automount: true }, 'ServiceAccount.automount'],
    ['wrong type', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'a' }, automountServiceAccountToken: 'yes' }, 'schema'],
    ['bad name', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'Bad_Name' } }, 'not DNS-1123'],
    ['bad label value', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ok', labels: { a: 'has space' } } }, 'label value'],
    ['unknown rule field', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r', namespace: 'n' }, rules: [{ apiGroups: [''], resources: ['pods'], verb: ['get'] }] }, 'rules[0].verb'],
    ['unknown kind', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }, 'no schema'],
  ])('the check rejects: %s', (_n, obj, expected) => {
    expect(manifestProblems(obj).join('\n')).toContain(expected);
  });
});

describe('config.toml parses and uses only keys gitlab-runner knows', () => {
  const tomls = files.filter((f) => f.path.endsWith('config.toml'));
  it.each(tomls.map((f) => [`${f.name}/${f.path}`, f.content]))('%s', (_p, content) => {
    const doc = parseToml(content);
    expect(unknownTomlKeys(doc)).toEqual([]);
    expect(Array.isArray(doc.runners)).toBe(true);
  });

  it('the key check catches a misspelt key', () => {
    expect(unknownTomlKeys({ concurrent: 1, runners: [{ executor: 'kubernetes', kubernetes: { service_acount: 'x' }, cache: { Type: 's3', s3: { ServerSideEncryptionKeyKMSID: 'k' } } }] })).toEqual([
      'runners.kubernetes.service_acount',
      'runners.cache.s3.ServerSideEncryptionKeyKMSID',
    ]);
  });
});

describe('Helm values use the chart\'s keys and carry a runner template that parses', () => {
  const values = files.filter((f) => f.path.startsWith('helm/'));
  it.each(values.map((f) => [`${f.name}/${f.path}`, f.content]))('%s', (_p, content) => {
    const [doc] = yamlDocs(content, '1.1') as Record<string, any>[];
    expect(Object.keys(doc!).filter((k) => !CHART_VALUE_KEYS.has(k))).toEqual([]);
    expect(doc!.rbac).toEqual({ create: false });
    expect(doc!.serviceAccount.create).toBe(false);
    const template = parseToml(doc!.runners.config as string);
    expect(unknownTomlKeys(template)).toEqual([]);
    // url, token and name come from the chart, not from the template
    expect(Object.keys((template.runners as Record<string, unknown>[])[0]!)).not.toContain('token');
  });
});
