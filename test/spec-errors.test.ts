import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { planText, planValue } from '../src/core.js';
import { minimalFleet } from './helpers/fleet.js';

const base = minimalFleet;

type Case = [name: string, mutate: (s: Record<string, any>) => void, code: string, path: string, contains?: string];

const cases: Case[] = [
  ['wrong apiVersion', (s) => (s.apiVersion = 'runner-fleet/v1'), 'RF009', 'apiVersion'],
  ['wrong kind', (s) => (s.kind = 'Fleets'), 'RF009', 'kind'],
  ['unknown top-level key, with suggestion', (s) => (s.runner = []), 'RF003', 'runner', 'did you mean "runners"'],
  ['unknown nested key, with suggestion', (s) => (s.runners[0].gitlab.tag = ['x']), 'RF003', 'runners[0].gitlab.tag', 'did you mean "tags"'],
  ['unknown key in a cluster entry', (s) => (s.clusters[0].oidcIsuer = 'x'), 'RF003', 'clusters[0].oidcIsuer', 'oidcIssuer'],
  ['wrong type: concurrent as string', (s) => (s.runners[0].concurrent = 'ten'), 'RF002', 'runners[0].concurrent'],
  ['wrong type: tags as string', (s) => (s.runners[0].gitlab.tags = 'k8s'), 'RF002', 'runners[0].gitlab.tags'],
  ['account id as a number', (s) => (s.aws.accountId = 123456789012), 'RF002', 'aws.accountId'],
  ['bad account id format', (s) => (s.aws.accountId = '12345'), 'RF007', 'aws.accountId', '12-digit'],
  ['bad region', (s) => (s.aws.region = 'europe'), 'RF007', 'aws.region'],
  ['unsupported cluster type', (s) => (s.clusters[0].type = 'gke'), 'RF002', 'clusters[0].type', 'eks'],
  ['missing issuer', (s) => delete s.clusters[0].oidcIssuer, 'RF004', 'clusters[0].oidcIssuer'],
  ['issuer that is not an EKS issuer', (s) => (s.clusters[0].oidcIssuer = 'http://example.com'), 'RF007', 'clusters[0].oidcIssuer'],
  ['issuer in another region', (s) => (s.clusters[0].oidcIssuer = 'https://oidc.eks.us-east-1.amazonaws.com/id/ABCDEF0123456789'), 'RF010', 'clusters[0].oidcIssuer', 'us-east-1'],
  ['bad operator ARN', (s) => (s.clusters[0].access = [{ principal: 'arn:aws:iam::123:user/x', policy: 'view' }]), 'RF007', 'clusters[0].access[0].principal'],
  ['unknown access policy', (s) => (s.clusters[0].access = [{ principal: 'arn:aws:iam::123456789012:user/x', policy: 'viewer' }]), 'RF002', 'clusters[0].access[0].policy', 'did you mean "view"'],
  ['access entry on a CONFIG_MAP cluster', (s) => Object.assign(s.clusters[0], { authenticationMode: 'CONFIG_MAP', access: [{ principal: 'arn:aws:iam::123456789012:user/x', policy: 'view', via: 'access-entry' }] }), 'RF010', 'clusters[0].access[0].via'],
  ['duplicate runner names', (s) => s.runners.push({ ...s.runners[0] }), 'RF005', 'runners[1].name'],
  ['duplicate cluster names', (s) => s.clusters.push({ ...s.clusters[0] }), 'RF005', 'clusters[1].name'],
  ['duplicate cache names', (s) => s.caches.push({ ...s.caches[0], bucket: 'other-bucket' }), 'RF005', 'caches[1].name'],
  ['runner on an unknown cluster', (s) => (s.runners[0].placement.cluster = 'devop'), 'RF006', 'runners[0].placement.cluster', 'did you mean "devops"'],
  ['runner with an unknown cache', (s) => (s.runners[0].cache.name = 'shard'), 'RF006', 'runners[0].cache.name', 'did you mean "shared"'],
  ['runner name too long', (s) => (s.runners[0].name = 'r'.repeat(41)), 'RF008', 'runners[0].name'],
  ['fleet name with upper case', (s) => (s.metadata.name = 'Acme'), 'RF007', 'metadata.name'],
  ['namespace that is not DNS-1123', (s) => (s.runners[0].placement.namespace = 'CI_Build'), 'RF007', 'runners[0].placement.namespace'],
  ['namespace too long', (s) => (s.runners[0].placement.namespace = 'n'.repeat(64)), 'RF008', 'runners[0].placement.namespace'],
  // Found by a new user's review (65e): kube-system was accepted, and synth labelled it enforce baseline, which rejects the privileged system pods new nodes need.
  ['namespace kube-system', (s) => (s.runners[0].placement.namespace = 'kube-system'), 'RF002', 'runners[0].placement.namespace', 'reject the privileged system pods'],
  ['namespace default', (s) => (s.runners[0].placement.namespace = 'default'), 'RF002', 'runners[0].placement.namespace', 'a namespace of its own, such as gitlab-runner-'],
  ['namespace kube-node-lease', (s) => (s.runners[0].placement.namespace = 'kube-node-lease'), 'RF002', 'runners[0].placement.namespace'],
  ['no gitlab scope', (s) => delete s.runners[0].gitlab.group, 'RF004', 'runners[0].gitlab'],
  ['two gitlab scopes', (s) => (s.runners[0].gitlab.project = 'acme/api'), 'RF010', 'runners[0].gitlab'],
  ['gitlab url with a trailing slash', (s) => (s.gitlab.url = 'https://gitlab.com/'), 'RF007', 'gitlab.url'],
  ['gitlab url over http', (s) => (s.gitlab.url = 'http://gitlab.com'), 'RF007', 'gitlab.url'],
  ['bad bucket name', (s) => (s.caches[0].bucket = 'Acme_Cache'), 'RF007', 'caches[0].bucket'],
  ['kms without a key', (s) => (s.caches[0].encryption = { type: 'kms' }), 'RF004', 'caches[0].encryption.kmsKeyArn'],
  ['bad quantity', (s) => (s.runners[0].jobs = { resources: { cpu: 'lots', memory: '1Gi' } }), 'RF007', 'runners[0].jobs.resources.cpu'],
  ['bad IAM action', (s) => (s.runners[0].jobs = { permissions: { aws: [{ actions: ['s3 GetObject'], resources: ['*'] }] } }), 'RF007', 'runners[0].jobs.permissions.aws[0].actions[0]'],
  ['bad overwrite regex', (s) => (s.runners[0].jobs = { serviceAccountOverwriteAllowed: '(' }), 'RF007', 'runners[0].jobs.serviceAccountOverwriteAllowed'],
  ['missing aws section', (s) => delete s.aws, 'RF004', 'aws'],
  ['accepting a risk that cannot be accepted', (s) => (s.runners[0].acceptRisks = [{ code: 'RF101', reason: 'because we like it' }]), 'RF002', 'runners[0].acceptRisks[0].code'],
  ['no runners', (s) => (s.runners = []), 'RF002', 'runners'],
];

describe('malformed specs: exit 2, exact path, no stack trace', () => {
  it('has at least 20 cases', () => expect(cases.length).toBeGreaterThanOrEqual(20));

  it('the base spec is valid', () => {
    expect(planValue(base()).exitCode).toBe(0);
  });

  it.each(cases)('%s', (_name, mutate, code, path, contains) => {
    const spec = base();
    mutate(spec);
    const plan = planValue(spec);
    expect(plan.exitCode).toBe(2);
    expect(plan.emitted).toBeUndefined();
    const hit = plan.findings.find((f) => f.code === code && f.path === path);
    expect(hit, JSON.stringify(plan.findings, null, 1)).toBeDefined();
    expect(hit!.fix ?? '').not.toBe('');
    if (contains) expect(`${hit!.message} | ${hit!.allowed ?? ""} | ${hit!.fix ?? ""}`).toContain(contains);
    for (const f of plan.findings) expect(f.message).not.toMatch(/\n\s+at /);
  });

  it.each(cases)('synth of "%s" exits 2, names the path on stderr and creates no output directory', async (_name, mutate, code, path) => {
    const spec = base();
    mutate(spec);
    const dir = mkdtempSync(join(tmpdir(), 'runner-fleet-bad-'));
    writeFileSync(join(dir, 'fleet.json'), JSON.stringify(spec));
    const out = join(dir, 'out');
    const said: string[] = [];
    const exit = await main(['synth', join(dir, 'fleet.json'), '--out', out], { out: (s) => said.push(s), err: (s) => said.push(s) });
    expect(exit).toBe(2);
    expect(existsSync(out)).toBe(false);
    // The spec is one line of JSON: a finding about a path names the file, line 1, and a column.
    const escaped = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (path) expect(said.join('')).toMatch(new RegExp(`${code} ${escaped(join(dir, 'fleet.json'))}:1:\\d+ ${escaped(path)}:`));
    else expect(said.join('')).toContain(code);
    expect(said.join('')).not.toMatch(/\n\s+at .*:\d+:\d+/);
  });

  it('reports every problem at once', () => {
    const spec = base();
    spec.aws.region = 'nowhere';
    spec.runners[0].gitlab.tag = [];
    spec.runners[0].concurrent = 0;
    const plan = planValue(spec);
    expect(plan.findings.map((f) => f.path).sort()).toEqual(['aws.region', 'runners[0].concurrent', 'runners[0].gitlab.tag']);
  });

  it('the old key `on` gets one finding that names `placement` (not "unknown" plus "missing")', () => {
    const spec = base();
    spec.runners[0].on = spec.runners[0].placement;
    delete spec.runners[0].placement;
    const plan = planValue(spec);
    expect(plan.exitCode).toBe(2);
    expect(plan.findings.map((f) => `${f.code} ${f.path}`)).toEqual(['RF003 runners[0].on']);
    expect(plan.findings[0]!.fix).toBe('rename "on:" to "placement:"');
    expect(plan.findings[0]!.message).toContain('YAML 1.1');
  });

  it('a missing placement without the old key is still reported as missing', () => {
    const spec = base();
    delete spec.runners[0].placement;
    const plan = planValue(spec);
    expect(plan.findings.map((f) => `${f.code} ${f.path}`)).toEqual(['RF004 runners[0].placement']);
  });

  it('YAML syntax errors name the line', () => {
    const plan = planText('apiVersion: runner-fleet/v1alpha1\nkind: Fleet\nmetadata: {name: acme\n', 'fleet.yaml');
    expect(plan.exitCode).toBe(2);
    expect(plan.findings[0]!.code).toBe('RF001');
    expect(plan.findings[0]!.message).toMatch(/^fleet\.yaml:\d+:\d+: /);
  });

  it('duplicate YAML keys are an error', () => {
    const plan = planText('apiVersion: runner-fleet/v1alpha1\nkind: Fleet\nkind: Fleet\n', 'fleet.yaml');
    expect(plan.exitCode).toBe(2);
    expect(plan.findings[0]!.code).toBe('RF001');
  });

  it('a spec that is not a mapping', () => {
    const plan = planText('- just\n- a list\n');
    expect(plan.exitCode).toBe(2);
    expect(plan.findings[0]!.code).toBe('RF002');
  });
});
