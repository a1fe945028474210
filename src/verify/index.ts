import { identityOf, jobIdentityOf } from '../model/types.js';
import { allBy, findBy } from '../model/lookup.js';
import type { Finding, FindingRequest } from '../spec/findings.js';
import { CODES, type Code } from '../spec/codes.js';
import type { IdentitySubject, ResolvedCluster } from '../model/types.js';
import { subjectLabel } from '../model/types.js';
import type { FleetDocuments } from '../emit/types.js';
import type { ManagerPods } from '../platforms/types.js';
import type { FleetIntent, IntentRunner } from './intent.js';
import type { PolicyDocument, Statement } from './iam/types.js';
import { evaluatePoliciesFor } from './iam/evaluator.js';
import { awsFacts, preparedRoleRequest } from './aws-docs.js';
import { azureFacts, ownAzure } from './azure-docs.js';
import { platformFor } from '../platforms/registry.js';
import { cacheBackendFor } from '../caches/registry.js';
import { scanArtifacts } from './secrets.js';
import { checkTerraformRoot, TABLE_CHECKED_PROVIDERS } from '../emit/terraform/schemas/index.js';
import type { Artifact, TerraformRoot } from '../emit/artifacts.js';
import { jobSettings, privilegedDeploymentFix, privilegedMessage, serviceAccountOverwriteMessage } from './runner-toml.js';
import { proveScheduling, schedulingInputs } from './scheduling.js';
import { verifyPodSecurity } from './pod-security.js';
import { podCreatorsIndex, sharedNamespaceFindings } from './shared-namespace.js';
import { verifyImds } from './imds-policy.js';
import { verifyReach } from './reach/index.js';
import { azureJobsOverManager } from './azure-rbac.js';
import { foreignLabel, foreignTrustPrincipals, trustServicesOf } from './trust-principals.js';
import { adviceThenRegenerate } from '../spec/findings.js';
import { accountPowers, POWER_PROBES, powersConsequence, type Gives } from './powers.js';
import { unknownActionFindings } from './unknown-actions.js';
import { runnerClosed, sharedRunnerPower } from './runner-audience.js';

/** One claim about one runner, proven (or refuted) from the emitted documents. */
export interface Proof {
  runner: string;
  claim: string;
  holds: boolean;
  /**
   * On a proof that does not hold because of findings the spec accepted (`acceptRisks`), every one
   * of them: its code and path, where the spec accepts it and why. Absent when nothing accepted refutes it.
   */
  accepted?: { code: string; path: string; at: string; reason: string }[];
}

export interface Verification {
  findings: Finding[];
  proofs: Proof[];
}

export { POWER_PROBES, ACCOUNT_PROBES } from './powers.js';

/**
 * Actions on one role that let a job take it over or make it more powerful, probed on the
 * runner's own manager role and on a stand-in for any other role under the fleet's role path
 * (a grant on `role/<path>/*` reaches every role of the fleet).
 */
export const ROLE_PROBES = ['iam:UpdateAssumeRolePolicy', 'iam:AttachRolePolicy', 'iam:PutRolePolicy', 'iam:PassRole', 'sts:AssumeRole'] as const;

/** What a runner's job role can do to make itself more powerful, read from its policies. */
export interface JobPowers {
  /**
   * Escalation actions on `*`, the account-wide reach of ACCOUNT_PROBES, and escalation on the
   * fleet's own roles and cache (`<action> on <what>`).
   */
  powerful: string[];
  /** Whether any of `powerful` is escalation; `gives`: what its account-wide reach (ACCOUNT_PROBES) hands over. */
  escalates: boolean;
  gives: ReadonlySet<Gives>;
  /**
   * How the jobs can become the manager, the first way found; undefined if they cannot. `viaTrust`:
   * the manager trust admits the jobs (the trust is what to fix); otherwise their permissions let
   * them take the role over (rewrite its trust, assume it, pass it to a service it trusts).
   */
  becomesManager?: { why: string; viaTrust: boolean; /** Not via the trust: the job role's request its policies allow (on the manager role). */ request?: FindingRequest };
}

/**
 * Codes that refute the reference-chain proof (RF603/RF605: Azure credential and annotation ends;
 * RF935: the manager's Role is not in the namespace its jobs run in, a deployment the doctor reads).
 */
const CHAIN_CODES = new Set(['RF106', 'RF603', 'RF605', 'RF935']);
/** Codes that refute the cache proofs, whichever backend raised them. */
const MANAGER_CACHE_CODES = new Set(['RF201', 'RF202', 'RF606', 'RF607']);
const JOB_CACHE_CODES = new Set(['RF203', 'RF608']);

function f(code: Code, path: string, message: string, extra: Partial<Finding> = {}): Finding {
  return { code, severity: CODES[code].severity, path, message, ...extra };
}

function asList<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/**
 * The claim of a runner's chain proof: the platform's, or, for a manager the doctor read as a
 * workload (no chart), the same chain ending in that workload and its ConfigMap as written.
 */
export function chainClaimOf(platform: Pick<ReturnType<typeof platformFor>, 'chainClaim' | 'chainClaimFor'>, docs: FleetDocuments, runner: string): string {
  const managerConfig = docs.runners.get(runner)?.readFrom?.managerConfig;
  return managerConfig !== undefined && platform.chainClaimFor ? platform.chainClaimFor(managerConfig) : platform.chainClaim;
}

/** Every subject the platforms find in the documents: the candidates of the all-pairs proof. */
export function fleetSubjects(docs: FleetDocuments, intent: FleetIntent): IdentitySubject[] {
  return fleetSubjectIndex(docs, intent).all;
}

/** The fleet's subjects, and per cluster name those of that cluster (in the fleet's order). */
export interface FleetSubjectIndex {
  all: IdentitySubject[];
  /** A cluster holding every subject has `all` itself as its list: one array, so what platforms index per list is indexed once. */
  byCluster: Map<string, IdentitySubject[]>;
}

/**
 * fleetSubjects, and the same split by cluster. verifyFleet makes it once per call and passes it to
 * the platforms that read the fleet's subjects too (aks's chain proof: verifyChain's `subjects`), so
 * the subjects are not asked of every platform twice and what a platform indexes per list is indexed
 * once.
 */
export function fleetSubjectIndex(docs: FleetDocuments, intent: FleetIntent): FleetSubjectIndex {
  const perCluster = intent.clusters.map((c) => platformFor(c.type).subjects(docs, intent, c));
  const all = perCluster.length === 1 ? perCluster[0]! : perCluster.flat();
  const byCluster = new Map<string, IdentitySubject[]>();
  for (const s of all) {
    const list = byCluster.get(s.cluster);
    if (list) list.push(s);
    else byCluster.set(s.cluster, [s]);
  }
  // One cluster's list holding every subject is `all` itself.
  if (byCluster.size === 1) for (const [name, list] of byCluster) if (list.length === all.length) byCluster.set(name, all);
  return { all, byCluster };
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
  /**
   * The documents are a deployment runner-fleet did not write (the doctor): a finding's
   * `deploymentFix` replaces its `fix` (`deploymentReceived`, `deploymentAllowed` its `received`, `allowed`). Either way those fields are not returned.
   */
  deployment?: boolean;
}

const label = subjectLabel;

/** A finding about the trust of an AWS role: the role, for the doctor to find that trust in the user's files. */
function trustOf(id: { cloud: string; roleName: string }): Pick<Finding, 'subject'> {
  return id.cloud === 'aws' ? { subject: { kind: 'trust', role: id.roleName } } : {};
}

/** A finding about a permission of an AWS role: the role and the request its policies allow, for the doctor to find the policy that grants it. */
function grantOf(id: { cloud: string; roleName: string }, request: FindingRequest | undefined): Pick<Finding, 'subject'> {
  return id.cloud === 'aws' && request ? { subject: { kind: 'grant', role: id.roleName, requests: [request] } } : {};
}

/**
 * A role whose trust lets its AWS service assume it for any account (RF722). AWS guards against a
 * service of another account using the role only through iam:PassRole, which passes roles of the
 * caller's own account; the trust itself should name the account, as AWS recommends for service
 * roles against the cross-service confused deputy: "Cross-service confused deputy prevention" in the
 * Amazon ECS Developer Guide (task IAM role trust with aws:SourceAccount, aws:SourceArn
 * arn:aws:ecs:<region>:<account>:*) and "The confused deputy problem" in the IAM User Guide. A
 * warning, not RF103: no other account can assume the role while PassRole holds.
 */
function serviceTrustForAnyAccount(rp: string, purpose: string, roleName: string, intended: Extract<IdentitySubject, { kind: 'aws-service' }>, partition: string, region: string, trust: PolicyDocument | undefined): Finding {
  const ecs = intended.service === 'ecs-tasks.amazonaws.com';
  // The account as Terraform knows it: the doctor may not (a deployment that states none).
  const account = '${data.aws_caller_identity.current.account_id}';
  const condition = ecs
    ? `Condition = { StringEquals = { "aws:SourceAccount" = "${account}" }, ArnLike = { "aws:SourceArn" = "arn:${partition}:ecs:${region}:${account}:*" } }`
    : `Condition = { StringEquals = { "aws:SourceAccount" = "${account}" } }`;
  return f('RF722', rp, `${purpose} role ${roleName} trusts ${intended.service} with no aws:SourceAccount or aws:SourceArn condition, so it admits ${ecs ? 'ECS tasks' : 'the service acting'} for any account: only iam:PassRole, which passes roles of the caller's own account, keeps another account's ${ecs ? 'task definitions' : 'resources'} from getting it (AWS recommends both conditions against the cross-service confused deputy)`, {
    fix: "regenerate: runner-fleet's trust of a service role pins aws:SourceAccount (and for ECS tasks aws:SourceArn) to the fleet's account",
    deploymentFix: `add to the trust statement that names ${intended.service}: ${condition} (with data "aws_caller_identity" "current" {})`,
    subject: { kind: 'trust', role: roleName, ...serviceStatementAt(trust, intended.service) },
  });
}

/** The place in a trust (its JSON form) of the first statement that admits `service` with no source condition: the one to edit. */
function serviceStatementAt(trust: PolicyDocument | undefined, service: string): { at?: (string | number)[] } {
  const statements = asList(trust?.Statement);
  const i = statements.findIndex((st) => {
    const p = typeof st === 'object' && st !== null ? st.Principal : undefined;
    if (st.Effect !== 'Allow' || typeof p !== 'object' || p === null || !asList(p.Service).includes(service)) return false;
    return !Object.values(st.Condition ?? {}).some((block) => Object.keys(block ?? {}).some((k) => /^aws:Source(Account|Arn)$/i.test(k)));
  });
  if (i < 0) return {};
  return { at: Array.isArray(trust?.Statement) ? ['Statement', i] : ['Statement'] };
}

/**
 * Every proof and rule, over documents and an intent: the one place proofs are invoked, for a
 * generated fleet (`intentOf(resolved)`, documents from `emit`) and for the doctor (both imported).
 */
export function verifyFleet(fleet: FleetIntent, docs: FleetDocuments, options: VerifyOptions = { selfCheck: true }): Verification {
  const findings: Finding[] = [];
  const proofs: Proof[] = [];
  // Proofs refuted by findings the spec may accept: said on the proof when it does (markAcceptedProofs).
  const refutedBy = new Map<Proof, Refuter[]>();
  const facts = awsFacts(docs);
  for (const u of facts?.unresolved ?? []) findings.push(f('RF106', '', `unresolved reference in terraform/aws/main.tf.json: ${u.text}`, { subject: { kind: 'resource', address: u.address } }));
  for (const u of azureFacts(docs)?.unresolved ?? []) findings.push(f('RF106', '', `unresolved reference in terraform/azure/main.tf.json: ${u}`));

  const subjectIndex = fleetSubjectIndex(docs, fleet);
  const { all: subjects, byCluster: subjectsByCluster } = subjectIndex;
  // What the all-pairs proof calls its candidates: one noun when every platform present agrees.
  const nouns = new Set(fleet.clusters.map((c) => platformFor(c.type).subjectNoun));
  const subjectNoun = nouns.size === 1 ? [...nouns][0]! : 'subjects';
  // A cache that identities other than the runners' reach (GitLab ID-token roles): any job may request such a token.
  // Reached, or not shown to be unreached (RF903 at such a role: its policies are not all in the
  // documents; an RF903 at the cache itself is about the bucket, not about who reaches it).
  const reachedOutsideRunners = new Set<string>();
  // Several Azure deployments given together (the doctor): a cache is read in the deployment of its first runner.
  const cacheRunners = docs.runnerAzure ? new Map(fleet.runners.filter((r) => r.cache).reverse().map((r) => [r.cache!.cache, r])) : undefined;
  fleet.caches.forEach((cache, i) => {
    const user = cacheRunners?.get(cache.name);
    const own = user ? ownAzure(docs, fleet, user) : { docs, fleet };
    const out = cacheBackendFor(cache.type).verifyCache(own.docs, own.fleet, cache, `caches[${i}]`);
    if (out.some((x) => JOB_CACHE_CODES.has(x.code) || (x.code === 'RF903' && x.path !== `caches[${i}]`))) reachedOutsideRunners.add(cache.name);
    findings.push(...out);
  });
  fleet.clusters.forEach((cluster, i) => findings.push(...platformFor(cluster.type).clusterFindings(fleet, cluster, `clusters[${i}]`)));

  // Roles of runners whose permissions are not all in the documents (a managed policy neither
  // given nor in the table of documented AWS managed policies): said once per attachment, and every
  // proof about what such a role may do does not hold (it is unknown, not proven).
  const unknownOf = (key: string | undefined): { role: string; arn: string; via: string; unread?: true; address: string }[] => {
    const id = key !== undefined ? identityOf(fleet, key) : undefined;
    const role = id?.cloud === 'aws' ? facts?.roles.get(id.roleName) : undefined;
    return role ? role.unknownPolicies.map((p) => ({ role: role.name, ...p })) : [];
  };
  const unknownRoles = new Set<string>();
  const saidUnknown = new Set<string>();
  for (const runner of fleet.runners) {
    for (const u of [...unknownOf(runner.managerIdentity), ...unknownOf(runner.jobIdentity)]) {
      unknownRoles.add(u.role);
      // An inline policy the doctor could not read is reported where it is written (RF906, RF901).
      if (u.unread) continue;
      if (saidUnknown.has(`${u.role}|${u.via}|${u.arn}`)) continue;
      saidUnknown.add(`${u.role}|${u.via}|${u.arn}`);
      findings.push(f('RF903', '', `${u.via} attaches ${u.arn} to role ${u.role}, a policy whose statements are not in the documents given: what the role may do is not proven`, { received: u.arn, fix: 'give the Terraform of the policy (aws_iam_policy) with the files, or write its statements inline (aws_iam_role_policy)' , subject: { kind: 'resource', address: u.address }}));
    }
  }
  // Where each runner's manager runs, as a cloud RBAC scope (AKS): other runners' job roles over it are checked too.
  // Asked once per runner: for its own check below and for the index of every runner's namespace.
  // A platform without managerPods (all but aks) has no such place: its runners are not looked up at all.
  const podsOfRunner = new Map<IntentRunner, ManagerPods | undefined>();
  const podsOf = (r: IntentRunner) => {
    if (podsOfRunner.has(r)) return podsOfRunner.get(r);
    const p = platformFor(findBy(fleet.clusters, 'name', r.cluster)!.type);
    let pods: ManagerPods | undefined;
    if (p.managerPods) {
      const own = ownAzure(docs, fleet, r);
      pods = p.managerPods(own.docs, own.fleet, r);
    }
    podsOfRunner.set(r, pods);
    return pods;
  };
  // The clusters the all-pairs proof asks about an identity, in the clusters' order: of a platform that
  // names the clusters whose subjects the identity may admit (clustersThatMayAssume), those; of the
  // others, each. Asking every cluster per identity grew with the square of the clusters (the doctor
  // over many AKS folders), though each answer was a lookup.
  const clusterOrders = new Map<FleetIntent['clusters'], { position: Map<ResolvedCluster, number>; byType: Map<string, ResolvedCluster[]> }>();
  const clustersToAsk = (rdocs: FleetDocuments, rfleet: FleetIntent, roleName: string): ResolvedCluster[] => {
    let order = clusterOrders.get(rfleet.clusters);
    if (!order) {
      order = { position: new Map(), byType: new Map() };
      for (const c of rfleet.clusters) {
        order.position.set(c, order.position.size);
        const list = order.byType.get(c.type);
        if (list) list.push(c);
        else order.byType.set(c.type, [c]);
      }
      clusterOrders.set(rfleet.clusters, order);
    }
    if (order.byType.size === 0) return [];
    // One cluster (every fleet plan proves with one cluster per platform, most deployments): asked, as
    // it would be when named; the hint saves nothing there and costs a lookup per identity.
    if (rfleet.clusters.length === 1) return rfleet.clusters;
    const asked: ResolvedCluster[] = [];
    let picked = false;
    for (const [type, list] of order.byType) {
      const names = platformFor(type).clustersThatMayAssume?.(rdocs, rfleet, roleName);
      if (names === undefined) asked.push(...list);
      else {
        for (const name of names) for (const c of allBy(rfleet.clusters, 'name', name)) if (c.type === type) asked.push(c);
        picked = true;
      }
    }
    // Every cluster of one platform, asked each: already in order.
    if (!picked && order.byType.size === 1) return asked;
    const position = order.position;
    return asked.sort((a, b) => position.get(a)! - position.get(b)!);
  };
  // Which runner managers the documents let create pods in which namespace (RF310: they may run pods as any service account there).
  const podCreators = fleet.runners.some((r) => r.kubernetes && r.jobIdentity) ? podCreatorsIndex(docs, fleet) : undefined;
  for (const runner of fleet.runners) {
    // Its own Azure deployment's root and context, where several were given together (the doctor).
    const { docs: rdocs, fleet: rfleet } = ownAzure(docs, fleet, runner);
    const rp = `runners[${runner.index}]`;
    const before = findings.length;
    const cluster = findBy(rfleet.clusters, 'name', runner.cluster)!;
    const platform = platformFor(cluster.type);
    const managerUnknown = unknownOf(runner.managerIdentity).length > 0;
    const jobUnknown = unknownOf(runner.jobIdentity).length > 0;
    const chain = platform.verifyChain(rdocs, rfleet, runner, rp, subjectIndex);
    findings.push(...chain);
    proofs.push({ runner: runner.name, claim: chainClaimOf(platform, rdocs, runner.name), holds: !chain.some((x) => CHAIN_CODES.has(x.code)) });

    // All pairs: every subject of the fleet against this runner's roles, plus decoys of the
    // intended subject (the same name in another namespace, the same service in another account).
    // Each cluster's platform decides for its own subjects how they would obtain the role; the
    // per-cluster lists are passed as they are (platforms cache per list), the decoys apart.
    // Whether the manager can obtain its identity at all: what it may do through it is not shown otherwise.
    let managerRefused = false;
    for (const key of [runner.managerIdentity, ...(runner.jobIdentity ? [runner.jobIdentity] : [])]) {
      const id = identityOf(rfleet, key);
      const intended = id.binding.subject;
      const decoys = platform.decoys(intended);
      const decoysByCluster = new Map<string, IdentitySubject[]>();
      for (const s of decoys) decoysByCluster.set(s.cluster, [...(decoysByCluster.get(s.cluster) ?? []), s]);
      const allowed = clustersToAsk(rdocs, rfleet, id.roleName).flatMap((c) => {
        const p = platformFor(c.type);
        const own = subjectsByCluster.get(c.name) ?? [];
        const mine = decoysByCluster.get(c.name) ?? [];
        return [...(own.length > 0 ? p.whoCanAssume(rdocs, rfleet, c, id.roleName, own) : []), ...(mine.length > 0 ? p.whoCanAssume(rdocs, rfleet, c, id.roleName, mine) : [])];
      });
      const probes = subjects.length + decoys.length;
      const others = allowed.filter((s) => label(s) !== label(intended));
      const ok = allowed.some((s) => label(s) === label(intended));
      // Principals the trust admits that are no compute subject at all (IAM roles and users, accounts, "*", other services).
      const role = id.cloud === 'aws' ? facts?.roles.get(id.roleName) : undefined;
      const services = trustServicesOf(intended, platform.trustServices?.(intended));
      const foreign = foreignTrustPrincipals(role?.trust, services);
      if (!ok && key === runner.managerIdentity) managerRefused = true;
      if (!ok) findings.push(f('RF104', rp, `${label(intended)} cannot assume ${id.purpose} role ${id.roleName}`, { ...adviceThenRegenerate('the trust policy and the service account must name each other'), deploymentFix: `make the trust policy of ${id.roleName} admit ${label(intended)}, and bind ${label(intended)} to ${id.roleName}`, subject: { kind: 'assume', identity: key } }));
      // The intended compute's service in another account (a decoy): the trust names the service for every account.
      const twins = others.filter((s) => s.kind === 'aws-service' && intended.kind === 'aws-service' && s.service === intended.service && s.account !== intended.account);
      const rest = others.filter((s) => !twins.includes(s));
      if (rest.length > 0) findings.push(f('RF103', rp, `${id.purpose} role ${id.roleName} can also be assumed by ${rest.map(label).join(', ')}`, { fix: 'pin the trust policy to one namespace and service account', ...trustOf(id) }));
      if (twins.length > 0 && intended.kind === 'aws-service') findings.push(serviceTrustForAnyAccount(rp, id.purpose, id.roleName, intended, rfleet.aws?.partition ?? 'aws', rfleet.aws?.region ?? '<region>', role?.trust));
      if (foreign.length > 0) findings.push(f('RF103', rp, `${id.purpose} role ${id.roleName} can also be assumed by ${foreign.map(foreignLabel).join(', ')}: its trust admits them besides ${label(intended)}`, { received: foreign.map((x) => x.value).join(', '), fix: `remove the statements that name them: the trust of a runner role names only ${intended.kind === 'aws-service' ? `the service ${intended.service}` : `the cluster's OIDC provider${services.length > 0 ? ` (or ${services.join(', ')})` : ''}`}`, ...trustOf(id) }));
      // Whoever may create pods in the service account's namespace may run them as it (RF310): the claim does not hold then.
      const sharers = ok && key === runner.jobIdentity && podCreators ? sharedNamespaceFindings(rdocs, rfleet, runner, rp, podCreators) : [];
      findings.push(...sharers);
      proofs.push({ runner: runner.name, claim: `only ${label(intended)} can assume the ${id.purpose} ${id.cloud === 'aws' ? 'role' : 'identity'} ${id.roleName} (${probes} ${subjectNoun} tried)`, holds: ok && others.length === 0 && foreign.length === 0 && sharers.length === 0 });
      // Static lint on the trust document itself: wildcard subjects.
      asList(role?.trust.Statement).forEach((st, i) => {
        for (const [op, block] of Object.entries(st.Condition ?? {})) {
          for (const [k, v] of Object.entries(block)) {
            if (/:sub$|kubernetes-service-account$|kubernetes-namespace$/i.test(k) && (/Like/i.test(op) || asList(v).some((x) => /[*?]/.test(String(x))))) {
              // The condition's place in the trust document, for the doctor to point at it.
              const at = [...(Array.isArray(role?.trust.Statement) ? ['Statement', i] : ['Statement']), 'Condition', op, k];
              findings.push(f('RF102', rp, `role ${id.roleName} matches ${k} with ${op} ${JSON.stringify(v)}`, { fix: 'name the one service account with StringEquals', subject: { kind: 'trust', role: id.roleName, at } }));
            }
          }
        }
      });
    }

    const powers = jobPowers(rdocs, rfleet, runner);
    if (runner.jobIdentity) {
      const managerSubject = identityOf(rfleet, runner.managerIdentity).binding.subject;
      const jobSubject = identityOf(rfleet, runner.jobIdentity).binding.subject;
      const managerRole = platform.roleOfSubject(rdocs, rfleet, cluster, managerSubject);
      const jobRole = platform.roleOfSubject(rdocs, rfleet, cluster, jobSubject);
      const same = managerRole !== undefined && managerRole === jobRole;
      const azure = identityOf(rfleet, runner.managerIdentity).cloud === 'azure';
      const refuting: Finding[] = [];
      if (same) refuting.push(f('RF105', rp, `the manager and the jobs both get ${azure ? 'managed identity' : 'role'} ${managerRole}`, { fix: azure ? 'give jobs their own service account and managed identity, each with its own client id' : 'give jobs their own service account and role' }));
      // Jobs that can obtain the manager role hold the manager identity too (jobPowers: said once, the first way found).
      const becomes = !same ? powers?.becomesManager : undefined;
      if (becomes) refuting.push(f('RF105', becomes.viaTrust ? rp : `${rp}.jobs.permissions.aws`, becomes.viaTrust ? `the jobs' role ${identityOf(rfleet, runner.jobIdentity).roleName} can assume the manager role ${identityOf(rfleet, runner.managerIdentity).roleName}: ${becomes.why}` : `the jobs can become the manager: ${becomes.why}`, { fix: becomes.viaTrust ? 'remove the statement of the manager trust that admits the jobs (and sts:AssumeRole on the manager role from the job permissions)' : "remove the job permissions on the manager role's ARN (and on the fleet's role path)", ...(becomes.viaTrust ? trustOf(identityOf(rfleet, runner.managerIdentity)) : grantOf(identityOf(rfleet, runner.jobIdentity), becomes.request)) }));
      // Azure: the job identity's role assignments at scopes that contain the manager identity.
      const overManager = azureJobsOverManager(rdocs, rfleet, runner, rp, platform.managerPods ? podsOf(runner) : undefined, podsOf);
      if (overManager) refuting.push(...overManager.findings);
      findings.push(...refuting);
      const proof: Proof = { runner: runner.name, claim: 'the job identity is not the manager identity', holds: !same && jobRole !== undefined && powers?.becomesManager === undefined && overManager?.refuted !== true };
      proofs.push(proof);
      // Said elsewhere: RF602 at each assignment that administers the subscription, RF601 at gitlab when the runner is open.
      const elsewhere = (overManager?.administered ?? []).flatMap((path) => [{ code: 'RF602', path }, { code: 'RF601', path: `${rp}.gitlab`, optional: true }]);
      if (!proof.holds && refuting.length + elsewhere.length > 0) refutedBy.set(proof, [...refuting, ...elsewhere]);
    }
    const podSecurity = verifyPodSecurity(rdocs, runner, rp, rfleet.runners);
    findings.push(...podSecurity.findings);
    proofs.push(...podSecurity.proofs.map((p) => ({ runner: runner.name, ...p })));
    // The doctor proves it where the deployment restricts its job pods' egress (a NetworkPolicy of the
    // jobs' namespace selects them: runner-fleet's own output read back agrees with plan), and says
    // nothing of a deployment with no such policy, nor RF314 (whether a cluster is the user's is not read).
    if (platform.kubernetes && runner.kubernetes) {
      const imds = verifyImds(rdocs, runner, rp, platform.cloud, (cluster.spec as { create?: unknown }).create !== undefined);
      if (options.deployment !== true) findings.push(...imds.findings);
      if (options.deployment !== true || imds.policies.length > 0) proofs.push(...imds.proofs.map((p) => ({ runner: runner.name, ...p })));
    }
    const extra = platform.verifyRunner?.(rdocs, rfleet, runner, rp);
    if (extra) {
      findings.push(...extra.findings);
      // The platform proofs about the manager's permissions ("the manager reads/scales/runs ...")
      // and about every role of the fleet ("no role of the fleet can ...") need all of them known.
      const unknownFor = (claim: string) => ((managerUnknown || managerRefused) && /^the manager /.test(claim)) || (unknownRoles.size > 0 && /^no role of the fleet /.test(claim));
      proofs.push(...extra.proofs.map((p) => ({ runner: runner.name, ...p, holds: p.holds && !unknownFor(p.claim) })));
    }

    if (runner.cache) {
      const cache = rfleet.caches.find((c) => c.name === runner.cache!.cache)!;
      const backend = cacheBackendFor(cache.type);
      const cacheFindings = backend.verifyRunner(rdocs, rfleet, cache, runner, rp);
      findings.push(...cacheFindings);
      const reach = backend.diagramLabel ? `container ${backend.diagramLabel(cache, runner.cache)}` : runner.cache.path === '' ? 'every key (its cache has no Path)' : `${runner.cache.path}/`;
      // An RF903 of the runner's cache proof says what the manager may do there is not shown (a policy, the bucket's KMS key);
      // one at the job permissions, what the jobs may (a tag of the job role the policies test).
      const jobsNotShown = (x: Finding) => x.code === 'RF903' && x.path === `${rp}.jobs.permissions.aws`;
      proofs.push({ runner: runner.name, claim: `the manager reads and writes ${reach} in cache ${cache.name} and nothing else there`, holds: !managerUnknown && !managerRefused && !cacheFindings.some((x) => MANAGER_CACHE_CODES.has(x.code) || (x.code === 'RF903' && !jobsNotShown(x))) });
      // Jobs that obtain the manager's credentials (through the host they share) reach what it reaches.
      proofs.push({ runner: runner.name, claim: `jobs cannot reach cache ${cache.name} directly`, holds: !jobUnknown && extra?.jobsHoldManagerCredentials !== true && !reachedOutsideRunners.has(cache.name) && !cacheFindings.some((x) => JOB_CACHE_CODES.has(x.code) || jobsNotShown(x)) });
    }

    findings.push(...jobRules(rdocs, rfleet, runner, rp, powers, platform.privilegedJobsTakeOver?.(rdocs, rfleet, runner)));
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
  const platforms = [...new Set([...fleet.clusters.map((c) => c.type), ...(fleet.documentPlatforms ?? [])])].map(platformFor);
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
  // What a job role may assume is read from its permissions: not proven when they are not all known.
  const namesUnknown = (claim: string) => [...unknownRoles].some((r) => claim.includes(`job role ${r} `));
  proofs.push(...reach.proofs.map((p) => (p.holds && namesUnknown(p.claim) ? { ...p, holds: false } : p)));
  if (scanned && options.credentialScan !== false) findings.push(...scanned.findings);
  // `subject` is for the doctor alone (it finds the user's edit site with it): plan's findings stay as they were.
  const fixed = findings.map(({ deploymentFix, deploymentReceived, deploymentAllowed, subject, ...x }) =>
    options.deployment === true
      ? { ...x, ...(deploymentFix !== undefined ? { fix: deploymentFix } : {}), ...(deploymentReceived !== undefined ? { received: deploymentReceived } : {}), ...(deploymentAllowed !== undefined ? { allowed: deploymentAllowed } : {}), ...(subject !== undefined ? { subject } : {}) }
      : x,
  );
  const outcome = applyAcceptedRisks(fleet, fixed);
  markAcceptedProofs(fleet, refutedBy, new Map(findings.map((x, i) => [x, outcome[i]!])), outcome);
  return { findings: outcome, proofs };
}

/** What refutes a proof: a finding pushed with it, or one another rule says (by code and path; `optional`: when present). */
type Refuter = Finding | { code: string; path: string; optional?: boolean; message?: undefined };

/**
 * A proof that fails only because of findings the spec accepted says so, with where and why: a FAIL
 * line with no word of the acceptance reads as a defect nobody chose. `final`: each finding as it
 * left applyAcceptedRisks.
 */
function markAcceptedProofs(fleet: FleetIntent, refutedBy: Map<Proof, Refuter[]>, final: Map<Finding, Finding>, outcome: Finding[]): void {
  if (refutedBy.size === 0) return;
  const acceptance = acceptanceOf(fleet);
  const byPlace = new Map<string, Finding[]>();
  for (const x of outcome) {
    const k = `${x.code}\0${x.path}`;
    byPlace.set(k, [...(byPlace.get(k) ?? []), x]);
  }
  for (const [proof, refuting] of refutedBy) {
    let missing = false;
    const found = refuting.flatMap((r): Finding[] => {
      if (r.message !== undefined) return [final.get(r) ?? r];
      const hits = byPlace.get(`${r.code}\0${r.path}`) ?? [];
      if (hits.length === 0 && !('optional' in r && r.optional === true)) missing = true;
      return hits;
    });
    if (missing || found.length === 0) continue;
    const accepted = found.map((x) => ({ x, risk: x.acceptedBecause !== undefined ? acceptance(x) : undefined }));
    if (!accepted.every((a) => a.risk !== undefined)) continue;
    const seen = new Set<string>();
    proof.accepted = [];
    for (const { x, risk } of accepted) {
      const key = `${x.code}\0${x.path}\0${risk!.at}`;
      if (seen.has(key)) continue;
      seen.add(key);
      proof.accepted.push({ code: x.code, path: x.path, at: risk!.at, reason: risk!.reason });
    }
  }
}


/**
 * What a runner's job role can do to escalate, from its identity policies: the escalation actions
 * on `*`, then the same powers on the fleet's own sensitive resources, a constant number of probes
 * per runner whatever the fleet's size: its manager role (take it over: rewrite its trust, assume
 * it, pass it to a service it trusts; or grow it), a stand-in for any other role under the
 * manager's role path, and the access control of its cache. An action already allowed on `*` is
 * named once.
 */
export function jobPowers(docs: FleetDocuments, fleet: FleetIntent, runner: IntentRunner): JobPowers | undefined {
  const id = jobIdentityOf(fleet, runner);
  if (id?.cloud !== 'aws') return undefined;
  const facts = awsFacts(docs);
  const role = facts?.roles.get(id.roleName);
  if (!facts || !role) return undefined;
  const jobArn = id.arn;
  // One caller and policy set for every probe, each probe derived from it.
  const caller = preparedRoleRequest(role, jobArn, POWER_PROBES[0], '*');
  const policies = { identity: role.policiesCompiled };
  const allows = (action: string, resource: string) => evaluatePoliciesFor(policies, caller, action, resource) === 'allow';
  const account = /^arn:[^:]+:iam::(\d{12}):/.exec(jobArn)?.[1] ?? runner.account ?? fleet.aws?.accountId ?? '000000000000';
  const partition = /^arn:([^:]+):/.exec(jobArn)?.[1] ?? 'aws';
  const { escalation: onStar, reach, gives } = accountPowers(allows, partition, runner.region ?? fleet.aws?.region ?? 'us-east-1', account);
  const named = new Set<string>(onStar);
  const powerful: string[] = [...onStar];
  let escalates = onStar.length > 0;
  const add = (action: string, what: string) => {
    if (named.has(action)) return;
    powerful.push(`${action} on ${what}`);
    escalates = true;
  };
  let becomesManager: JobPowers['becomesManager'];
  const manager = identityOf(fleet, runner.managerIdentity);
  if (manager.cloud === 'aws' && manager.roleName !== id.roleName) {
    const managerRole = facts.roles.get(manager.roleName);
    const managerArn = manager.arn;
    // The manager trust may admit the jobs itself: naming the job role's ARN is enough within one
    // account; admitting its whole account (or anyone) needs sts:AssumeRole in the job permissions.
    const platform = platformFor(findBy(fleet.clusters, 'name', runner.cluster)!.type);
    const foreign = foreignTrustPrincipals(managerRole?.trust, trustServicesOf(manager.binding.subject, platform.trustServices?.(manager.binding.subject)));
    const jobAccount = /^arn:[^:]+:iam::(\d{12}):/.exec(jobArn)?.[1];
    const wide = foreign.find((p) => p.type === '*' || (p.account !== undefined && p.account === jobAccount));
    if (foreign.some((p) => p.type === 'AWS' && p.value === jobArn)) becomesManager = { why: `the manager trust names ${jobArn}`, viaTrust: true };
    else if (wide && allows('sts:AssumeRole', managerArn)) becomesManager = { why: `the manager trust admits ${foreignLabel(wide)} and the jobs' role may sts:AssumeRole on it`, viaTrust: true };
    const can = new Set(ROLE_PROBES.filter((action) => allows(action, managerArn)));
    const what = `manager role ${manager.roleName}`;
    // Passing or assuming the role only matters where its trust lets it happen.
    const services = asList(managerRole?.trust.Statement)
      .filter((st) => st.Effect === 'Allow' && typeof st.Principal === 'object' && st.Principal !== null)
      .flatMap((st) => asList((st.Principal as Record<string, string | string[]>).Service));
    const assumable = can.has('sts:AssumeRole') && managerRole !== undefined && evaluatePoliciesFor({ resource: [managerRole.trustCompiled] }, caller, 'sts:AssumeRole', managerArn) === 'allow';
    for (const action of can) {
      if ((action === 'iam:PassRole' && services.length === 0) || (action === 'sts:AssumeRole' && !assumable)) continue;
      add(action, what);
    }
    if (becomesManager !== undefined) {
      // found through the trust above
    } else if (can.has('iam:UpdateAssumeRolePolicy')) becomesManager = { why: `job role ${role.name} may rewrite the trust of ${what} (iam:UpdateAssumeRolePolicy) and then assume it`, viaTrust: false, request: { action: 'iam:UpdateAssumeRolePolicy', resource: managerArn } };
    else if (assumable) becomesManager = { why: `the trust of ${what} admits job role ${role.name}, which may sts:AssumeRole it`, viaTrust: false, request: { action: 'sts:AssumeRole', resource: managerArn } };
    else if (can.has('iam:PassRole') && services.length > 0) becomesManager = { why: `job role ${role.name} may pass ${what} (iam:PassRole) to ${services.join(', ')}, which its trust admits`, viaTrust: false, request: { action: 'iam:PassRole', resource: managerArn } };
    // Any other role of the fleet: a stand-in under the manager's role path.
    const base = managerArn.slice(0, managerArn.length - manager.roleName.length);
    for (const action of ROLE_PROBES) if (allows(action, `${base}${fleet.name}-runner-fleet-probe`)) add(action, `the roles under ${base.replace(/^.*:role/, 'role')}`);
  }
  const cache = runner.cache ? fleet.caches.find((c) => c.name === runner.cache!.cache) : undefined;
  for (const [action, resource] of cache ? (cacheBackendFor(cache.type).accessControlProbes?.(fleet, cache) ?? []) : []) {
    if (allows(action, resource)) add(action, `cache ${cache!.name} (${resource})`);
  }
  powerful.push(...reach);
  return { powerful, escalates, gives, ...(becomesManager !== undefined ? { becomesManager } : {}) };
}

/** Rules on what jobs may do, read from config.toml and the job role's documents. */
function jobRules(docs: FleetDocuments, fleet: FleetIntent, runner: IntentRunner, rp: string, powers: JobPowers | undefined, takeOver = 'the node and every credential on it'): Finding[] {
  const out: Finding[] = [];
  const toml = docs.runners.get(runner.name)?.configToml;
  // Every Docker executor (docker, docker-autoscaler, docker+machine, docker-windows) reads [runners.docker].
  const job = jobSettings(toml, 0);
  if (job.privileged) {
    const k8s = docs.runners.get(runner.name)?.manifests.some((o) => o.kind === 'Namespace') === true;
    out.push(f('RF301', `${rp}.jobs.privileged`, `${privilegedMessage(takeOver)}${k8s ? '. The namespace therefore cannot enforce Pod Security baseline (it would reject these pods): it enforces privileged, and warns and audits against baseline' : ''}`, { received: 'true', allowed: 'false', fix: 'set jobs.privileged: false and build images with a daemonless builder (BuildKit rootless, kaniko, buildah)', deploymentFix: privilegedDeploymentFix(job) }));
  }
  const overwrite = job.serviceAccountOverwrite;
  if (overwrite !== undefined) {
    out.push(f('RF107', `${rp}.jobs.serviceAccountOverwriteAllowed`, serviceAccountOverwriteMessage(overwrite), { received: JSON.stringify(overwrite), fix: 'remove serviceAccountOverwriteAllowed, or narrow it to service accounts made for jobs', deploymentFix: 'remove service_account_overwrite_allowed from [runners.kubernetes] (KUBERNETES_SERVICE_ACCOUNT_OVERWRITE_ALLOWED where register builds the entry from its environment), or narrow it to service accounts made for jobs' }));
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
    out.push(...unknownActionFindings(role.name, 'job role', role.policies, (action) => jobActionPath(runner, rp, action)));
    const powerful = powers?.powerful ?? [];
    if (powerful.length > 0) {
      const g = runner.spec.gitlab;
      out.push(f('RF306', `${rp}.jobs.permissions.aws`, `job role ${role.name} can ${powerful.join(', ')}: whoever can run a job here can ${powersConsequence(powers!.escalates, powers!.gives, 'the account')}`, { fix: 'narrow the job permissions, or keep this runner for protected deployments only' }));
      const shared = runner.registrationUnknown === undefined ? sharedRunnerPower(g, `${rp}.gitlab`, `job role ${role.name} can ${powerful.join(', ')}`, 'aws') : undefined;
      if (shared) out.push(shared);
      if (!runnerClosed(g) && runner.registrationUnknown !== undefined) {
        // Assumed settings are no evidence that the runner takes unprotected jobs: say what is not shown.
        out.push(f('RF903', `${rp}.gitlab`, `jobs of this runner hold a powerful role (${powerful.join(', ')}); whether the runner is locked and takes jobs from protected branches only is not shown: ${runner.registrationUnknown}`, { fix: 'give the GitLab registration too (the Terraform of gitlab_user_runner and the token Secret the chart mounts)' }));
      } else if (!runnerClosed(g)) {
        out.push(f('RF303', `${rp}.gitlab`, `jobs of this runner hold a powerful role (${powerful.join(', ')}) but the runner takes jobs from ${g.protectedOnly ? 'other projects (not locked)' : 'unprotected branches'}`, { received: JSON.stringify({ locked: g.locked, protectedOnly: g.protectedOnly }), allowed: '{"locked":true,"protectedOnly":true}', fix: 'set gitlab.locked: true and gitlab.protectedOnly: true', deploymentFix: `register the runner locked to its project and for protected refs only (gitlab_user_runner: locked = true, access_level = "ref_protected"; or the runner's settings in GitLab)` }));
      }
    }
  }
  return out;
}

/** The spec path of a job permission's action: its statement and index in jobs.permissions.aws when the spec lists it (plan), else the list. */
function jobActionPath(runner: IntentRunner, rp: string, action: string): string {
  const statements = (runner.spec.jobs.permissions.aws ?? []) as readonly { actions?: readonly string[] }[];
  for (let j = 0; j < statements.length; j++) {
    const k = statements[j]!.actions?.indexOf(action) ?? -1;
    if (k >= 0) return `${rp}.jobs.permissions.aws[${j}].actions[${k}]`;
  }
  return `${rp}.jobs.permissions.aws`;
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
  const acceptance = acceptanceOf(fleet);
  return findings.map((finding) => {
    const risk = acceptance(finding);
    if (!risk) return finding;
    return { ...finding, severity: finding.severity === 'error' ? 'warning' : finding.severity, acceptedBecause: risk.reason };
  });
}

/** The entry of `acceptRisks` that accepts a finding (its spec path and reason), if one does. */
function acceptanceOf(fleet: FleetIntent): (finding: Finding) => { at: string; reason: string } | undefined {
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
  return (finding) => {
    const info = CODES[finding.code as Code] as { acceptable: boolean } | undefined;
    if (!info?.acceptable) return undefined;
    const scope = scopeOf(finding.path);
    const index = scope?.risks.findIndex((r) => r.code === finding.code) ?? -1;
    return index < 0 ? undefined : { at: `${scope!.prefix}.acceptRisks[${index}]`, reason: scope!.risks[index]!.reason };
  };
}
