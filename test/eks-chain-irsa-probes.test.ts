import { afterEach, describe, expect, it } from 'vitest';
import { planValue } from '../src/core.js';
import { intentOf, type IntentRunner } from '../src/verify/intent.js';
import { eksPlatform } from '../src/platforms/eks/index.js';
import { clusterRegion, issuerHostPath, issuerOf, oidcProviderArnPrefix } from '../src/platforms/eks/names.js';
import { awsFacts } from '../src/verify/aws-docs.js';
import { evaluatePolicies } from '../src/verify/iam/evaluator.js';
import type { FleetDocuments } from '../src/emit/types.js';
import type { ResolvedCluster } from '../src/model/types.js';
import { identityOf, partyNamespace } from '../src/model/types.js';
import { exampleValue, replicatedExample } from './helpers/fleet.js';
import { randomInt } from './helpers/rng.js';

/**
 * eks's chain proof asks its IRSA questions (the right token, the token's own audience, another
 * audience, another cluster's issuer) of one web-identity caller per fleet and cluster, each runner's
 * service account added per probe (evaluatePoliciesFor): no request or context per runner. The
 * decisions stay those of the full web-identity request, checked here against that request
 * evaluated as written, over seeded damage to the trusts and audiences of real examples.
 */

const AUDIENCE = 'eks.amazonaws.com/audience';
const restore: (() => void)[] = [];
afterEach(() => {
  for (const r of restore.splice(0).reverse()) r();
});

function planned(spec: Record<string, unknown>) {
  const plan = planValue(spec);
  expect(plan.exitCode, JSON.stringify(plan.findings.slice(0, 3))).not.toBe(2);
  return { docs: plan.emitted!, intent: intentOf(plan.fleet!) };
}

describe('eks chain proof: no web-identity context built per runner', () => {
  it('eks-irsa x6: no context Map gets a service account subject while the chain proofs run', () => {
    const { docs, intent } = planned(replicatedExample('eks-irsa', 6));
    const set = Reflect.get(Map.prototype, 'set') as (this: Map<unknown, unknown>, k: unknown, v: unknown) => Map<unknown, unknown>;
    let subs = 0;
    Map.prototype.set = function (this: Map<unknown, unknown>, k: unknown, v: unknown) {
      if (typeof k === 'string' && k.endsWith(':sub')) subs++;
      return set.call(this, k, v);
    };
    restore.push(() => (Map.prototype.set = set));
    const findings = intent.runners.map((r) => eksPlatform.verifyChain(docs, intent, r, `runners[${r.index}]`));
    Map.prototype.set = set;
    expect(findings.flat()).toEqual([]);
    expect(subs).toBe(0);
  });
});

/** Seeded damage to an IRSA trust: audience or subject widened or dropped, another issuer admitted, keys in other case. */
function damage(rnd: (n: number) => number, doc: { Statement: Record<string, any> | Record<string, any>[] }): void {
  for (const st of Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]) {
    const cond = (st.Condition ??= {}) as Record<string, Record<string, unknown>>;
    const eq = (cond.StringEquals ??= {});
    const aud = Object.keys(eq).find((k) => k.endsWith(':aud'));
    const sub = Object.keys(eq).find((k) => k.endsWith(':sub'));
    const k = rnd(9);
    if (k === 1 && aud) delete eq[aud];
    if (k === 2 && aud) {
      cond.StringLike = { ...cond.StringLike, [aud]: '*' };
      delete eq[aud];
    }
    if (k === 3 && sub) {
      cond.StringLike = { ...cond.StringLike, [sub]: 'system:serviceaccount:*' };
      delete eq[sub];
    }
    if (k === 4 && st.Principal?.Federated) st.Principal.Federated = [st.Principal.Federated].flat().concat('arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/0THERC1USTER0000000000000000000');
    if (k === 5 && aud && !aud.includes('${')) {
      eq[aud.toUpperCase()] = eq[aud];
      delete eq[aud];
    }
    if (k === 6 && aud) eq[aud] = ['sts.amazonaws.com', 'https://attacker.example'];
    if (k === 7 && sub) {
      cond.Null = { [sub]: 'false' };
      delete eq[sub];
    }
    if (k === 8 && aud) {
      cond.StringNotEquals = { [aud]: 'https://attacker.example' };
      delete eq[aud];
    }
  }
}

/** The chain's IRSA findings of one runner as the full web-identity requests decide them. */
function expectedIrsa(docs: FleetDocuments, runner: IntentRunner, cluster: ResolvedCluster, fleet: ReturnType<typeof intentOf>): string[] {
  const out: string[] = [];
  const names = runner.kubernetes!;
  const parties = [['manager', runner.managerIdentity, names.managerServiceAccount] as const, ...(runner.jobIdentity ? [['jobs', runner.jobIdentity, names.jobServiceAccount] as const] : [])];
  for (const [purpose, key, sa] of parties) {
    const role = awsFacts(docs)!.roles.get(identityOf(fleet, key).roleName);
    if (!role) continue;
    const ns = partyNamespace(names, purpose);
    const trust = { resource: [role.trustCompiled] };
    const ask = (audience: string, issuer = issuerOf(cluster)) => {
      const hp = issuerHostPath(issuer);
      return evaluatePolicies(trust, { principal: { type: 'Federated', id: `${oidcProviderArnPrefix(fleet, cluster)}${hp}` }, action: 'sts:AssumeRoleWithWebIdentity', resource: '*', context: { [`${hp}:sub`]: `system:serviceaccount:${ns}:${sa}`, [`${hp}:aud`]: audience } }) === 'allow';
    };
    const object = docs.runners.get(runner.name)!.manifests.find((o) => o.kind === 'ServiceAccount' && o.metadata.namespace === ns && o.metadata.name === sa);
    const audience = (object?.metadata.annotations?.[AUDIENCE]) ?? 'sts.amazonaws.com';
    const right = ask('sts.amazonaws.com');
    if (audience !== 'sts.amazonaws.com' && !ask(audience)) out.push(`RF106 audience ${ns}/${sa}`);
    if (right && ask('sts.amazonaws.com', `https://oidc.eks.${clusterRegion(fleet, cluster)}.amazonaws.com/id/0THERC1USTER0000000000000000000`)) out.push(`RF108 issuer ${ns}/${sa}`);
    if (right && ask('https://attacker.example')) out.push(`RF101 ${ns}/${sa}`);
  }
  return out;
}

describe('eks chain proof: the IRSA findings of the full requests, over damaged trusts and audiences', () => {
  for (const [example, seed] of [['eks-irsa', 20266211], ['mixed-eks-vm', 20266212], ['eks-create-eksctl', 20266213], ['eks-api-rotation', 20266214]] as const) {
    it(`${example}: 40 seeded rounds, every runner`, () => {
      const rnd = randomInt(seed);
      let irsaFindings = 0;
      for (let round = 0; round < 40; round++) {
        const { docs, intent } = planned(structuredClone(exampleValue(example)));
        for (const body of Object.values(docs.terraformAws!.resource.aws_iam_role ?? {})) {
          if (rnd(2) === 0) continue;
          let doc;
          try {
            doc = JSON.parse(String(body.assume_role_policy));
          } catch {
            continue;
          }
          damage(rnd, doc);
          body.assume_role_policy = JSON.stringify(doc);
        }
        for (const r of docs.runners.values()) for (const o of r.manifests) if (o.kind === 'ServiceAccount' && rnd(5) === 0) o.metadata.annotations = { ...o.metadata.annotations, [AUDIENCE]: ['sts.amazonaws.com', 'https://other.example'][rnd(2)]! };
        for (const runner of intent.runners) {
          const cluster = intent.clusters.find((c) => c.name === runner.cluster)!;
          if (cluster.type !== 'eks' || (cluster.spec as { identity?: string }).identity === 'pod-identity') continue;
          const got = eksPlatform.verifyChain(docs, intent, runner, `runners[${runner.index}]`).flatMap((x) => {
            const m = /service account (\S+) is annotated eks\.amazonaws\.com\/audience=/.exec(x.message) ?? /web-identity tokens of (\S+) from another cluster's issuer/.exec(x.message) ?? /web-identity tokens of any audience for (\S+)$/.exec(x.message);
            if (!m) return [];
            return [x.code === 'RF106' ? `RF106 audience ${m[1]}` : x.code === 'RF108' ? `RF108 issuer ${m[1]}` : `RF101 ${m[1]}`];
          });
          const want = expectedIrsa(docs, runner, cluster, intent);
          expect(got, `${example} round ${round} ${runner.name}`).toEqual(want);
          irsaFindings += want.length;
        }
      }
      // The damage reaches the probes: some rounds have IRSA findings.
      expect(irsaFindings).toBeGreaterThan(0);
    });
  }
});
