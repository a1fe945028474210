import { identityOf, jobIdentityOf } from '../model/types.js';
import type { Finding } from '../spec/findings.js';
import { CODES, type Code } from '../spec/codes.js';
import type { IdentitySubject } from '../model/types.js';
import { subjectLabel } from '../model/types.js';
import type { FleetDocuments } from '../emit/types.js';
import type { FleetIntent, IntentRunner } from './intent.js';
import type { Statement } from './iam/types.js';
import { evaluatePolicies, prepareRequest } from './iam/evaluator.js';
import { awsFacts } from './aws-docs.js';
import { azureFacts } from './azure-docs.js';
import { platformFor } from '../platforms/registry.js';
import { cacheBackendFor } from '../caches/registry.js';
import { scanArtifacts } from './secrets.js';
import { checkTerraformRoot, TABLE_CHECKED_PROVIDERS } from '../emit/terraform/schemas/index.js';
import type { Artifact, TerraformRoot } from '../emit/artifacts.js';
import { get } from './get.js';
import { proveScheduling, schedulingInputs } from './scheduling.js';
import { verifyPodSecurity } from './pod-security.js';
import { verifyReach } from './reach/index.js';

/** One claim about one runner, proven (or refuted) from the emitted documents. */
export interface Proof {
  runner: string;
  claim: string;
  holds: boolean;
}

export interface Verification {
  findings: Finding[];
  proofs: Proof[];
}

/** Actions that let an identity make itself (or anything) more powerful. */
export const POWER_PROBES = [
  'iam:CreateRole',
  'iam:AttachRolePolicy',
  'iam:PutRolePolicy',
  'iam:PassRole',
  'iam:CreateUser',
  'iam:CreateAccessKey',
  'iam:UpdateAssumeRolePolicy',
  'sts:AssumeRole',
  'organizations:LeaveOrganization',
] as const;

/** Codes that refute the reference-chain proof (RF603/RF605: Azure credential and annotation ends). */
const CHAIN_CODES = new Set(['RF106', 'RF603', 'RF605']);
/** Codes that refute the cache proofs, whichever backend raised them. */
const MANAGER_CACHE_CODES = new Set(['RF201', 'RF202', 'RF606', 'RF607']);
const JOB_CACHE_CODES = new Set(['RF203', 'RF608']);

function f(code: Code, path: string, message: string, extra: Partial<Finding> = {}): Finding {
  return { code, severity: CODES[code].severity, path, message, ...extra };
}

function asList<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Every subject the platforms find in the documents: the candidates of the all-pairs proof. */
export function fleetSubjects(docs: FleetDocuments, intent: FleetIntent): IdentitySubject[] {
  return intent.clusters.flatMap((c) => platformFor(c.type).subjects(docs, intent, c));
}

export interface VerifyOptions {
  /**
   * Check generated Terraform roots against the documented provider attributes (RF613). On for
   * `plan`/`synth` (a failure is a runner-fleet bug); off for the doctor, whose roots are the user's.
   */
  selfCheck?: boolean;
  /**
   * Scan every artifact for credential shapes (RF304, without a position). Default on; off for the
   * doctor, which scans the files it reads itself (RF940, with file positions).
   */
  credentialScan?: boolean;
}

const label = subjectLabel;

/**
 * Every proof and rule, over documents and an intent: the one place proofs are invoked, for a
 * generated fleet (`intentOf(resolved)`, documents from `emit`) and for the doctor (both imported).
 */
export function verifyFleet(fleet: FleetIntent, docs: FleetDocuments, options: VerifyOptions = { selfCheck: true }): Verification {
  const findings: Finding[] = [];
  const proofs: Proof[] = [];
  const facts = awsFacts(docs);
  for (const u of facts?.unresolved ?? []) findings.push(f('RF106', '', `unresolved reference in terraform/aws/main.tf.json: ${u}`));
  for (const u of azureFacts(docs)?.unresolved ?? []) findings.push(f('RF106', '', `unresolved reference in terraform/azure/main.tf.json: ${u}`));

  const subjects = fleetSubjects(docs, fleet);
  const subjectsByCluster = new Map<string, IdentitySubject[]>();
  for (const s of subjects) {
    const list = subjectsByCluster.get(s.cluster);
    if (list) list.push(s);
    else subjectsByCluster.set(s.cluster, [s]);
  }
  // What the all-pairs proof calls its candidates: one noun when every platform present agrees.
  const nouns = new Set(fleet.clusters.map((c) => platformFor(c.type).subjectNoun));
  const subjectNoun = nouns.size === 1 ? [...nouns][0]! : 'subjects';
  fleet.caches.forEach((cache, i) => findings.push(...cacheBackendFor(cache.type).verifyCache(docs, fleet, cache, `caches[${i}]`)));
  fleet.clusters.forEach((cluster, i) => findings.push(...platformFor(cluster.type).clusterFindings(fleet, cluster, `clusters[${i}]`)));

  for (const runner of fleet.runners) {
    const rp = `runners[${runner.index}]`;
    const before = findings.length;
    const cluster = fleet.clusters.find((c) => c.name === runner.cluster)!;
    const platform = platformFor(cluster.type);
    const chain = platform.verifyChain(docs, fleet, runner, rp);
    findings.push(...chain);
    proofs.push({ runner: runner.name, claim: platform.chainClaim, holds: !chain.some((x) => CHAIN_CODES.has(x.code)) });

    // All pairs: every subject of the fleet against this runner's roles, plus decoys of the
    // intended subject (the same name in another namespace, the same service in another account).
    // Each cluster's platform decides for its own subjects how they would obtain the role; the
    // per-cluster lists are passed as they are (platforms cache per list), the decoys apart.
    for (const key of [runner.managerIdentity, ...(runner.jobIdentity ? [runner.jobIdentity] : [])]) {
      const id = identityOf(fleet, key);
      const intended = id.binding.subject;
      const decoys = platform.decoys(intended);
      const allowed = fleet.clusters.flatMap((c) => {
        const p = platformFor(c.type);
        const own = subjectsByCluster.get(c.name) ?? [];
        const mine = decoys.filter((s) => s.cluster === c.name);
        return [...(own.length > 0 ? p.whoCanAssume(docs, fleet, c, id.roleName, own) : []), ...(mine.length > 0 ? p.whoCanAssume(docs, fleet, c, id.roleName, mine) : [])];
      });
      const probes = subjects.length + decoys.length;
      const others = allowed.filter((s) => label(s) !== label(intended));
      const ok = allowed.some((s) => label(s) === label(intended));
      if (!ok) findings.push(f('RF104', rp, `${label(intended)} cannot assume ${id.purpose} role ${id.roleName}`, { fix: 'the trust policy and the service account must name each other; regenerate' }));
      if (others.length > 0) findings.push(f('RF103', rp, `${id.purpose} role ${id.roleName} can also be assumed by ${others.map(label).join(', ')}`, { fix: 'pin the trust policy to one namespace and service account' }));
      proofs.push({ runner: runner.name, claim: `only ${label(intended)} can assume the ${id.purpose} ${id.cloud === 'aws' ? 'role' : 'identity'} ${id.roleName} (${probes} ${subjectNoun} tried)`, holds: ok && others.length === 0 });
      // Static lint on the trust document itself: wildcard subjects.
      const role = facts?.roles.get(id.roleName);
      for (const st of asList(role?.trust.Statement)) {
        for (const [op, block] of Object.entries(st.Condition ?? {})) {
          for (const [k, v] of Object.entries(block)) {
            if (/:sub$|kubernetes-service-account$|kubernetes-namespace$/i.test(k) && (/Like/i.test(op) || asList(v).some((x) => /[*?]/.test(String(x))))) {
              findings.push(f('RF102', rp, `role ${id.roleName} matches ${k} with ${op} ${JSON.stringify(v)}`, { fix: 'name the one service account with StringEquals' }));
            }
          }
        }
      }
    }

    if (runner.jobIdentity) {
      const managerSubject = identityOf(fleet, runner.managerIdentity).binding.subject;
      const jobSubject = identityOf(fleet, runner.jobIdentity).binding.subject;
      const managerRole = platform.roleOfSubject(docs, fleet, cluster, managerSubject);
      const jobRole = platform.roleOfSubject(docs, fleet, cluster, jobSubject);
      const same = managerRole !== undefined && managerRole === jobRole;
      if (same) findings.push(f('RF105', rp, `the manager and the jobs both get role ${managerRole}`, { fix: 'give jobs their own service account and role' }));
      proofs.push({ runner: runner.name, claim: 'the job identity is not the manager identity', holds: !same && jobRole !== undefined });
    }
    const podSecurity = verifyPodSecurity(docs, runner, rp, fleet.runners);
    findings.push(...podSecurity.findings);
    proofs.push(...podSecurity.proofs.map((p) => ({ runner: runner.name, ...p })));
    const extra = platform.verifyRunner?.(docs, fleet, runner, rp);
    if (extra) {
      findings.push(...extra.findings);
      proofs.push(...extra.proofs.map((p) => ({ runner: runner.name, ...p })));
    }

    if (runner.cache) {
      const cache = fleet.caches.find((c) => c.name === runner.cache!.cache)!;
      const backend = cacheBackendFor(cache.type);
      const cacheFindings = backend.verifyRunner(docs, fleet, cache, runner, rp);
      findings.push(...cacheFindings);
      const reach = backend.diagramLabel ? `container ${backend.diagramLabel(cache, runner.cache)}` : `${runner.cache.path}/`;
      proofs.push({ runner: runner.name, claim: `the manager reads and writes ${reach} in cache ${cache.name} and nothing else there`, holds: !cacheFindings.some((x) => MANAGER_CACHE_CODES.has(x.code)) });
      proofs.push({ runner: runner.name, claim: `jobs cannot reach cache ${cache.name} directly`, holds: !cacheFindings.some((x) => JOB_CACHE_CODES.has(x.code)) });
    }

    findings.push(...jobRules(docs, fleet, runner, rp));
    findings.push(...runnerRules(runner, rp));
    void before;
  }

  // Scheduling: pods against the node pools of clusters created here (existing clusters: nothing known).
  const scheduling = proveScheduling(schedulingInputs(docs, fleet, (i) => platformFor(fleet.clusters[i]!.type).nodePools?.(docs, fleet.clusters[i]!, `clusters[${i}]`)));
  findings.push(...scheduling.findings);
  proofs.push(...scheduling.proofs);

  // The credential scan (reported last, below) also gathers the texts the self-check reads.
  const isRoot = (a: Artifact) => a.format === 'json' && /^terraform\/.*\.tf\.json$/.test(a.path);
  // One walk serves the credential scan and the Terraform self-check; the doctor, which scans its
  // input files itself, asks for neither.
  const scanned = options.credentialScan === false && !options.selfCheck ? undefined : scanArtifacts(docs.artifacts, options.selfCheck ? isRoot : undefined);
  // Providers without a local mirror: every block is checked against the documented attributes.
  for (const a of options.selfCheck ? docs.artifacts : []) {
    if (!isRoot(a)) continue;
    for (const problem of checkTerraformRoot(a.content as TerraformRoot, TABLE_CHECKED_PROVIDERS, scanned?.templateTexts.get(a))) findings.push(f('RF613', '', `${a.path}: ${problem}`, { fix: 'this is a bug in runner-fleet; please report it with the spec' }));
  }
  const platforms = [...new Set(fleet.clusters.map((c) => c.type))].map(platformFor);
  const seen = new Set<string>();
  for (const p of platforms) {
    for (const x of p.verifyDocuments?.(docs, fleet) ?? []) {
      const k = JSON.stringify(x);
      if (!seen.has(k)) findings.push(x);
      seen.add(k);
    }
  }
  // Deploy targets in other accounts and GitLab ID-token roles (verify/reach/).
  const reach = verifyReach(fleet, docs);
  findings.push(...reach.findings);
  proofs.push(...reach.proofs);
  if (scanned && options.credentialScan !== false) findings.push(...scanned.findings);
  return { findings: applyAcceptedRisks(fleet, findings), proofs };
}


/** Rules on what jobs may do, read from config.toml and the job role's documents. */
function jobRules(docs: FleetDocuments, fleet: FleetIntent, runner: IntentRunner, rp: string): Finding[] {
  const out: Finding[] = [];
  const toml = docs.runners.get(runner.name)?.configToml;
  const executorSection = get(toml, 'runners', 0, String(get(toml, 'runners', 0, 'executor')));
  if (get(executorSection, 'privileged') === true) {
    const k8s = docs.runners.get(runner.name)?.manifests.some((o) => o.kind === 'Namespace') === true;
    out.push(f('RF301', `${rp}.jobs.privileged`, `job containers run privileged: a job can take over the node and every credential on it${k8s ? '. The namespace therefore cannot enforce Pod Security baseline (it would reject these pods): it enforces privileged, and warns and audits against baseline' : ''}`, { received: 'true', allowed: 'false', fix: 'set jobs.privileged: false and build images with a daemonless builder (BuildKit rootless, kaniko, buildah)' }));
  }
  const overwrite = get(executorSection, 'service_account_overwrite_allowed');
  if (typeof overwrite === 'string' && overwrite !== '') {
    out.push(f('RF107', `${rp}.jobs.serviceAccountOverwriteAllowed`, `jobs may pick any service account matching ${JSON.stringify(overwrite)}, and with it that account's cloud identity`, { received: JSON.stringify(overwrite), fix: 'remove serviceAccountOverwriteAllowed, or narrow it to service accounts made for jobs' }));
  }
  const id = jobIdentityOf(fleet, runner);
  const role = id?.cloud === 'aws' ? awsFacts(docs)?.roles.get(id.roleName) : undefined;
  if (id?.cloud === 'aws' && role) {
    const starStar = role.policies.some((p) =>
      asList(p.Statement).some((s: Statement) => s.Effect === 'Allow' && asList(s.Action).includes('*') && asList(s.Resource).includes('*')),
    );
    if (starStar) {
      out.push(f('RF302', `${rp}.jobs.permissions.aws`, `job role ${role.name} may do every action on every resource: any job of this runner administers the account`, { received: '"*" on "*"', fix: 'list the services and resources the jobs deploy' }));
    }
    // One caller and policy set for the nine probes, each probe derived from it.
    const caller = prepareRequest({ principal: { type: 'AWS', id: id.arn }, action: POWER_PROBES[0], resource: '*' });
    const policies = { identity: role.policiesCompiled };
    const powerful = POWER_PROBES.filter((action) => evaluatePolicies(policies, caller.derive(action, '*')) === 'allow');
    if (powerful.length > 0) {
      const g = runner.spec.gitlab;
      out.push(f('RF306', `${rp}.jobs.permissions.aws`, `job role ${role.name} can ${powerful.join(', ')}: whoever can run a job here can escalate in the account`, { fix: 'narrow the job permissions, or keep this runner for protected deployments only' }));
      if (!(g.locked && g.protectedOnly)) {
        out.push(f('RF303', `${rp}.gitlab`, `jobs of this runner hold a powerful role (${powerful.join(', ')}) but the runner takes jobs from ${g.protectedOnly ? 'other projects' : 'unprotected branches'}`, { received: JSON.stringify({ locked: g.locked, protectedOnly: g.protectedOnly }), allowed: '{"locked":true,"protectedOnly":true}', fix: 'set gitlab.locked: true and gitlab.protectedOnly: true' }));
      }
    }
  }
  return out;
}

function runnerRules(runner: IntentRunner, rp: string): Finding[] {
  const g = runner.spec.gitlab;
  if (g.tags.length === 0 && !g.runUntagged) {
    return [f('RF305', `${rp}.gitlab.tags`, CODES.RF305.title, { received: '[]', fix: 'add tags, or set runUntagged: true' })];
  }
  return [];
}

/** Accepted risks turn matching errors into warnings that carry the spec's reason. */
export function applyAcceptedRisks(fleet: FleetIntent, findings: Finding[]): Finding[] {
  const scopes: { prefix: string; risks: { code: string; reason: string }[] }[] = [
    ...fleet.runners.map((r) => ({ prefix: `runners[${r.index}]`, risks: r.spec.acceptRisks })),
    ...fleet.caches.map((c, i) => ({ prefix: `caches[${i}]`, risks: (c.spec.acceptRisks as { code: string; reason: string }[] | undefined) ?? [] })),
    ...fleet.clusters.map((c, i) => ({ prefix: `clusters[${i}]`, risks: (c.spec.acceptRisks as { code: string; reason: string }[] | undefined) ?? [] })),
  ];
  // The first scope whose prefix is the path or a prefix of it ending before `.` or `[`: scopes
  // indexed by prefix (the first of equal prefixes kept), so a fleet's findings cost no scan of
  // every runner each (quadratic at 1,000 runners).
  const byPrefix = new Map<string, { order: number; scope: (typeof scopes)[number] }>();
  scopes.forEach((scope, order) => {
    if (!byPrefix.has(scope.prefix)) byPrefix.set(scope.prefix, { order, scope });
  });
  const scopeOf = (path: string) => {
    let best = byPrefix.get(path);
    for (let i = 0; i < path.length; i++) {
      if (path[i] !== '.' && path[i] !== '[') continue;
      const hit = byPrefix.get(path.slice(0, i));
      if (hit && (!best || hit.order < best.order)) best = hit;
    }
    return best?.scope;
  };
  return findings.map((finding) => {
    const info = CODES[finding.code as Code] as { acceptable: boolean } | undefined;
    if (!info?.acceptable) return finding;
    const scope = scopeOf(finding.path);
    const risk = scope?.risks.find((r) => r.code === finding.code);
    if (!risk) return finding;
    return { ...finding, severity: finding.severity === 'error' ? 'warning' : finding.severity, acceptedBecause: risk.reason };
  });
}
