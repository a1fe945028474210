import { describe, expect, it } from 'vitest';
import { planValue } from '../src/core.js';
import type { EmittedFleet } from '../src/emit/types.js';
import { fleetSubjects } from '../src/verify/index.js';
import { platformFor } from '../src/platforms/registry.js';
import { eksWhoCanAssumeBruteForce } from '../src/platforms/eks/index.js';
import { neighbourPaths } from '../src/caches/s3/index.js';
import { compilePolicy, evaluatePolicies, prepareRequest, type PreparedRequest } from '../src/verify/iam/evaluator.js';
import { RequestIndex } from '../src/verify/iam/candidates.js';
import type { PolicyDocument } from '../src/verify/iam/types.js';
import type { FleetIntent } from '../src/verify/intent.js';
import { subjectLabel, type RunnerCacheRef } from '../src/model/types.js';
import { rng } from './fuzz/engine.js';
import { assignmentsOf, azureFacts } from '../src/verify/azure-docs.js';
import { checkTerraformRoot } from '../src/emit/terraform/schemas/index.js';
import { exampleValue } from './helpers/fleet.js';

/**
 * The EKS trust proof looks up, for each role, only the subjects its StringEquals conditions can
 * admit. It must decide exactly what evaluating every subject decides: for trusts the index can
 * narrow and for trusts it cannot (StringLike wildcards, IfExists, negations, no condition).
 */

const pickOf = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

describe('RequestIndex: candidates are a superset of what the policy allows', () => {
  const key = 'oidc.example/id/1:sub';
  const subs = Array.from({ length: 12 }, (_, i) => `system:serviceaccount:ns-${i % 4}:sa-${i}`);
  const requests: PreparedRequest[] = subs.map((sub, i) =>
    prepareRequest({ principal: { type: 'Federated', id: 'arn:aws:iam::123456789012:oidc-provider/oidc.example/id/1' }, action: 'sts:AssumeRoleWithWebIdentity', resource: '*', context: i % 5 === 4 ? { [key]: [sub, subs[0]!] } : { [key]: sub, 'oidc.example/id/1:aud': 'sts.amazonaws.com' } }),
  );
  const index = new RequestIndex(requests);
  const allow = (Condition: Record<string, unknown> | undefined, Effect = 'Allow') => ({ Effect, Principal: { Federated: 'arn:aws:iam::123456789012:oidc-provider/oidc.example/id/1' }, Action: 'sts:AssumeRoleWithWebIdentity', ...(Condition ? { Condition } : {}) });
  const CASES: [string, PolicyDocument, 'narrowed' | 'all'][] = [
    ['StringEquals on one subject', { Version: '2012-10-17', Statement: [allow({ StringEquals: { [key]: subs[3] } })] } as PolicyDocument, 'narrowed'],
    ['StringEquals on a list, with aud', { Version: '2012-10-17', Statement: [allow({ StringEquals: { [key]: [subs[1], subs[7], 'nobody'], 'oidc.example/id/1:aud': 'sts.amazonaws.com' } })] } as PolicyDocument, 'narrowed'],
    ['two statements, both narrowed', { Version: '2012-10-17', Statement: [allow({ StringEquals: { [key]: subs[2] } }), allow({ StringEquals: { [key]: subs[9] } })] } as PolicyDocument, 'narrowed'],
    ['ForAnyValue:StringEquals', { Version: '2012-10-17', Statement: [allow({ 'ForAnyValue:StringEquals': { [key]: subs[0] } })] } as PolicyDocument, 'narrowed'],
    ['a Deny never widens', { Version: '2012-10-17', Statement: [allow({ StringEquals: { [key]: subs[5] } }), allow({ StringEquals: { [key]: subs[0] } }, 'Deny')] } as PolicyDocument, 'narrowed'],
    ['StringLike with a wildcard', { Version: '2012-10-17', Statement: [allow({ StringLike: { [key]: 'system:serviceaccount:ns-1:*' } })] } as PolicyDocument, 'all'],
    ['StringEqualsIfExists', { Version: '2012-10-17', Statement: [allow({ StringEqualsIfExists: { [key]: subs[3] } })] } as PolicyDocument, 'all'],
    ['ForAllValues:StringEquals', { Version: '2012-10-17', Statement: [allow({ 'ForAllValues:StringEquals': { [key]: subs[3] } })] } as PolicyDocument, 'all'],
    ['StringNotEquals', { Version: '2012-10-17', Statement: [allow({ StringNotEquals: { [key]: subs[3] } })] } as PolicyDocument, 'all'],
    ['no condition', { Version: '2012-10-17', Statement: [allow(undefined)] } as PolicyDocument, 'all'],
    ['one narrowed statement and one open', { Version: '2012-10-17', Statement: [allow({ StringEquals: { [key]: subs[3] } }), allow({ StringLike: { [key]: '*:sa-1?' } })] } as PolicyDocument, 'all'],
  ];
  for (const [name, doc, expected] of CASES) {
    it(name, () => {
      const policy = compilePolicy(doc);
      const allowed = requests.map((r, i) => (evaluatePolicies({ resource: [policy] }, r) === 'allow' ? i : -1)).filter((i) => i >= 0);
      const candidates = index.candidates(policy);
      if (expected === 'all') expect(candidates).toBeUndefined();
      else {
        expect(candidates).toBeDefined();
        for (const i of allowed) expect(candidates).toContain(i);
        expect(candidates!.length).toBeLessThan(requests.length);
      }
      expect(allowed.length, 'each case admits someone, or the superset check proves nothing').toBeGreaterThan(0);
    });
  }
  it('requests of different actions are never narrowed', () => {
    const mixed = new RequestIndex([...requests, prepareRequest({ action: 'sts:AssumeRole', resource: '*' })]);
    expect(mixed.candidates(compilePolicy(CASES[0]![1]))).toBeUndefined();
  });
});

type Mutation = (docs: EmittedFleet, r: () => number, subs: string[]) => void;
const resources = (docs: EmittedFleet, type: string) => Object.entries(docs.terraformAws!.resource[type] ?? {});
const editTrust = (d: EmittedFleet, r: () => number, edit: (st: Record<string, any>) => void) => {
  const [, role] = pickOf(r, resources(d, 'aws_iam_role'));
  const trust = JSON.parse(String(role.assume_role_policy));
  for (const st of [trust.Statement].flat()) edit(st);
  role.assume_role_policy = JSON.stringify(trust);
};
/** Moves every StringEquals key matching `which` to another operator. */
const moveKey = (st: Record<string, any>, which: RegExp, operator: string, value?: (v: unknown) => unknown) => {
  const eq = st.Condition?.StringEquals ?? {};
  for (const k of Object.keys(eq)) {
    if (!which.test(k)) continue;
    (st.Condition[operator] ??= {})[k] = value ? value(eq[k]) : eq[k];
    delete eq[k];
  }
};

const MUTATIONS: [string, Mutation][] = [
  ['a StringLike wildcard subject', (d, r) => editTrust(d, r, (st) => moveKey(st, /:sub$|namespace$/, 'StringLike', (v) => String(v).replace(/-\d+(:|$)/, '-*$1')))],
  ['a subject list naming another service account', (d, r, subs) => editTrust(d, r, (st) => {
    const eq = st.Condition?.StringEquals ?? {};
    for (const k of Object.keys(eq)) if (k.endsWith(':sub')) eq[k] = [eq[k], pickOf(r, subs)];
  })],
  ['a trust without its conditions', (d, r) => editTrust(d, r, (st) => delete st.Condition)],
  ['StringEqualsIfExists on the subject', (d, r) => editTrust(d, r, (st) => moveKey(st, /:sub$|service-account$/, 'StringEqualsIfExists'))],
  ['ForAllValues on the subject', (d, r) => editTrust(d, r, (st) => moveKey(st, /:sub$|service-account$/, 'ForAllValues:StringEquals'))],
  ['a negated subject', (d, r, subs) => editTrust(d, r, (st) => moveKey(st, /:sub$|service-account$/, 'StringNotEquals', () => pickOf(r, subs)))],
  ['an association moved to another role', (d, r) => {
    const assocs = resources(d, 'aws_eks_pod_identity_association');
    if (assocs.length === 0) return;
    pickOf(r, assocs)[1].role_arn = `\${aws_iam_role.${pickOf(r, resources(d, 'aws_iam_role'))[0]}.arn}`;
  }],
  ['an association without session tags, or not shown whether with them', (d, r) => {
    const assocs = resources(d, 'aws_eks_pod_identity_association');
    if (assocs.length === 0) return;
    pickOf(r, assocs)[1].disable_session_tags = pickOf(r, [true, false, '${var.no_tags}']);
  }],
  ['a trust without sts:TagSession', (d, r) => editTrust(d, r, (st) => {
    if ([st.Action].flat().includes('sts:TagSession')) st.Action = 'sts:AssumeRole';
  })],
  ['an extra association', (d, r) => {
    const assocs = resources(d, 'aws_eks_pod_identity_association');
    if (assocs.length === 0) return;
    const [k, body] = pickOf(r, assocs);
    d.terraformAws!.resource.aws_eks_pod_identity_association![`extra_${k}`] = { ...body, role_arn: `\${aws_iam_role.${pickOf(r, resources(d, 'aws_iam_role'))[0]}.arn}` };
  }],
];

function fleetOf(example: string, copies: number) {
  const spec = exampleValue(example);
  const base = spec.runners as Record<string, any>[];
  spec.runners = Array.from({ length: copies }, (_, i) => {
    const r = structuredClone(base[i % base.length]!);
    r.name = `${String(r.name)}-${i}`;
    if (r.placement?.namespace) r.placement.namespace = `${String(r.placement.namespace)}-${i % 3}`;
    return r;
  });
  const plan = planValue(spec);
  expect(plan.exitCode, JSON.stringify(plan.findings.slice(0, 3))).not.toBe(2);
  return plan;
}

describe('indexed EKS trust proof = brute force', () => {
  for (const example of ['eks-irsa', 'eks-pod-identity', 'mixed-eks-vm']) {
    it(`${example}: every role against every subject and decoy, on 20 randomly damaged copies`, () => {
      const plan = fleetOf(example, 6);
      const r = rng(7);
      let narrowedAway = 0;
      let admitted = 0;
      for (let round = 0; round < 20; round++) {
        const docs = structuredClone(plan.emitted!);
        const fleet = plan.fleet!;
        const subs = fleetSubjects(docs, fleet).flatMap((s) => (s.kind === 'kubernetes' ? [`system:serviceaccount:${s.namespace}:${s.serviceAccount}`] : []));
        if (round > 0) for (let i = 0; i < 1 + Math.floor(r() * 3); i++) pickOf(r, MUTATIONS)[1](docs, r, subs);
        const subjects = fleetSubjects(docs, fleet);
        for (const cluster of fleet.clusters.filter((c) => c.type === 'eks')) {
          const own = subjects.filter((s) => s.cluster === cluster.name);
          const decoys = own.flatMap((s) => platformFor(cluster.type).decoys(s));
          // Long lists take the indexed path, short ones (a role's decoys) the direct one.
          for (const list of [own, decoys, [...own, ...decoys], subjects, own.slice(0, 5), decoys.slice(-3)]) {
            for (const id of fleet.identities) {
              const fast = platformFor('eks').whoCanAssume(docs, fleet, cluster, id.roleName, list).map(subjectLabel);
              const slow = eksWhoCanAssumeBruteForce(docs, fleet, cluster, id.roleName, list).map(subjectLabel);
              expect(fast, `${example} round ${round} ${id.roleName}`).toEqual(slow);
              admitted += slow.length;
              narrowedAway += list.length - slow.length;
            }
          }
        }
      }
      // Both outcomes occur, so the comparison is not vacuous.
      expect(admitted).toBeGreaterThan(0);
      expect(narrowedAway).toBeGreaterThan(0);
    });
  }

  it('the proof line still counts every subject tried', () => {
    const plan = fleetOf('eks-irsa', 6);
    const subjects = fleetSubjects(plan.emitted!, plan.fleet!).length;
    const lines = plan.proofs.filter((p) => / can assume the /.test(p.claim));
    expect(lines.length).toBeGreaterThan(0);
    for (const p of lines) expect(p.claim).toContain(`(${subjects + 1} service accounts tried)`);
  });
});

describe('neighbourPaths = brute force', () => {
  const brute = (paths: string[], ref: RunnerCacheRef, nearest = 4) => {
    const sorted = [...new Set(paths)].sort();
    const at = sorted.indexOf(ref.path);
    const out = new Set<string>();
    for (let i = Math.max(0, at - nearest); i <= Math.min(sorted.length - 1, at + nearest); i++) out.add(sorted[i]!);
    for (const p of sorted) if (p.startsWith(ref.path) || ref.path.startsWith(p)) out.add(p);
    out.delete(ref.path);
    return [...out];
  };
  it('on random prefix-heavy path sets', () => {
    const r = rng(11);
    for (let round = 0; round < 200; round++) {
      const paths = Array.from({ length: 1 + Math.floor(r() * 30) }, () => Array.from({ length: Math.floor(r() * 4) }, () => pickOf(r, ['a', 'b', 'r1', 'r10', '-', '/x'])).join(''));
      const fleet = { runners: paths.map((path) => ({ cache: { cache: 'c', path, shared: false } })) } as unknown as FleetIntent;
      for (const path of [...paths, 'zz', '']) {
        const ref = { cache: 'c', path, shared: false };
        expect(neighbourPaths(fleet, ref), `${JSON.stringify(paths)} ${path}`).toEqual(brute(paths, ref));
      }
    }
  });
});

describe('PreparedRequest.derive = a request prepared afresh', () => {
  const policy = compilePolicy({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::b/r1/*' },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::b', Condition: { StringLike: { 's3:prefix': ['r1/*', 'r1'] } } },
      { Effect: 'Deny', Action: 's3:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    ],
  });
  const principal = { type: 'AWS' as const, id: 'arn:aws:iam::123456789012:role/r1' };
  const probes: [string, string, Record<string, string> | undefined][] = [
    ['s3:GetObject', 'arn:aws:s3:::b/r1/x', undefined],
    ['s3:GetObject', 'arn:aws:s3:::b/r10/x', undefined],
    ['s3:DeleteObject', 'arn:aws:s3:::b/r1/x', undefined],
    ['s3:ListBucket', 'arn:aws:s3:::b', { 's3:prefix': 'r1/x' }],
    ['s3:ListBucket', 'arn:aws:s3:::b', { 's3:prefix': 'r2' }],
    ['s3:GetObject', 'arn:aws:s3:::b/r1/x', { 'aws:SecureTransport': 'false' }],
  ];
  const bases: Record<string, string>[] = [{ 'aws:SecureTransport': 'true' }, { 'aws:SecureTransport': 'true', 'aws:SourceVpce': 'vpce-1' }];
  for (const base of bases) {
    it(`with base context ${JSON.stringify(base)}`, () => {
      const caller = prepareRequest({ principal, action: 's3:GetObject', resource: '', context: base });
      const decisions = probes.map(([action, resource, context]) => {
        const fresh = evaluatePolicies({ identity: [policy] }, { principal, action, resource, context: { ...base, ...context } });
        expect(evaluatePolicies({ identity: [policy] }, caller.derive(action, resource, context)), `${action} ${resource} ${JSON.stringify(context)}`).toBe(fresh);
        return fresh;
      });
      expect(new Set(decisions).size, 'the probes reach allow and deny').toBe(3);
    });
  }
});

describe('trailing-* patterns (matched by prefix) = the glob', () => {
  // Reference semantics: Resource/Action/StringLike are plain globs; ArnLike's `*` does not cross
  // ':' in the first five components. Patterns of the form `<literal>*` are matched with startsWith.
  const glob = (p: string) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\/]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
  const RESOURCES = ['arn:aws:s3:::b/p', 'arn:aws:s3:::b/p/x', 'arn:aws:s3:::b/px', 'arn:aws:s3:::b/', 'arn:aws:s3:::c/p', 'arn:aws:s3:::b/p\nx', 'arn:aws:s3:::b/p*'];
  const PATTERNS = ['arn:aws:s3:::b/p*', 'arn:aws:s3:::b/*', 'arn:aws:s3:::b/p/*', 'arn:aws:s3:::b*', 'arn:aws:s3:::b/p?*', 'arn:aws:s3:::*/p*'];
  for (const pattern of PATTERNS) {
    it(`Resource ${pattern}`, () => {
      const policy = compilePolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: pattern }] });
      const got = RESOURCES.map((resource) => evaluatePolicies({ identity: [policy] }, { action: 's3:GetObject', resource }) === 'allow');
      expect(got).toEqual(RESOURCES.map((r) => glob(pattern).test(r)));
      expect(got.some(Boolean) && !got.every(Boolean)).toBe(true);
    });
  }
  it('ArnLike with a trailing * in the resource component; a * in an earlier one does not cross a colon', () => {
    const ctx = (arn: string) => ({ 'aws:SourceArn': arn });
    const policy = (p: string) => compilePolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Condition: { ArnLike: { 'aws:SourceArn': p } } }] });
    const decide = (p: string, arn: string) => evaluatePolicies({ resource: [policy(p)] }, { principal: { type: 'Service', id: 'ecs-tasks.amazonaws.com' }, action: 'sts:AssumeRole', resource: '*', context: ctx(arn) });
    expect(decide('arn:aws:ecs:eu-central-1:123456789012:task/c/*', 'arn:aws:ecs:eu-central-1:123456789012:task/c/1:2')).toBe('allow');
    expect(decide('arn:aws:ecs:eu-central-1:123456789012:task/c/*', 'arn:aws:ecs:eu-central-1:123456789012:task/d/1')).toBe('implicit-deny');
    expect(decide('arn:aws:ecs:eu-central-1:*:task/c/1', 'arn:aws:ecs:eu-central-1:123456789012:task/c/1')).toBe('allow');
    // A trailing * before the fifth ':' is no ARN at all: still refused.
    expect(() => decide('arn:aws:ecs:eu-central-1:1*', 'arn:aws:ecs:eu-central-1:123456789012:task/c/1')).toThrow(/is not an ARN/);
  });
});

describe('Terraform self-check: the reference scan is skipped only where no checked reference can be', () => {
  const root = (extra: Record<string, unknown>) => ({
    terraform: {},
    resource: { aws_iam_role: { r: { name: 'r', assume_role_policy: '{}', tags: { note: 'arn ${aws_iam_role.r.arn}' }, ...extra } } },
  });
  const CASES: [string, Record<string, unknown>, string | undefined][] = [
    ['only AWS references', {}, undefined],
    ['a kubernetes reference to nothing', { description: '${kubernetes_namespace_v1.gone.id}' }, 'no such resource'],
    ['a data reference to nothing', { description: 'x ${data.kubernetes_secret_v1.gone.data}' }, 'no such data source'],
    ['in a key', { tags: { '${azurerm_resource_group.gone.name}': 'x' } }, 'no such resource'],
    // Was a TypeError (exit 70): `constructor` resolved to Object.prototype's, as if a provider.
    ['a type named like an Object.prototype member', { description: '${constructor_x.a.b} ${tostring.a.b}' }, undefined],
  ];
  for (const [name, extra, expected] of CASES) {
    it(name, () => {
      const problems = checkTerraformRoot(root(extra)).join('\n');
      if (expected === undefined) expect(problems).toBe('');
      else expect(problems).toContain(expected);
    });
  }
});

describe('Azure role assignments looked up by identity = a scan', () => {
  it('aks-workload-identity with assignments moved to other identities, and one unresolved', () => {
    const plan = fleetOf('aks-workload-identity', 6);
    const docs = structuredClone(plan.emitted!);
    const assignments = Object.values(docs.terraformAzure!.resource.azurerm_role_assignment ?? {});
    const identities = Object.keys(docs.terraformAzure!.resource.azurerm_user_assigned_identity ?? {});
    const r = rng(3);
    for (const a of assignments.slice(0, 4)) a.principal_id = `\${azurerm_user_assigned_identity.${pickOf(r, identities)}.principal_id}`;
    assignments[assignments.length - 1]!.principal_id = 'not-a-reference';
    const facts = azureFacts(docs)!;
    let seen = 0;
    for (const id of [...facts.identities.keys(), 'nobody']) {
      const got = assignmentsOf(facts, id);
      expect(got).toEqual(facts.assignments.filter((a) => a.identity === id));
      seen += got.length;
    }
    expect(seen).toBe(facts.assignments.length - 1);
  });
});
