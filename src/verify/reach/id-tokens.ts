import type { Finding } from '../../spec/findings.js';
import { CODES, type Code } from '../../spec/codes.js';
import { evaluatePolicies } from '../iam/evaluator.js';
import { gitlabSub } from '../../model/reach.js';
import type { IdTokenIntent, ReachDocuments } from './intent.js';
import { asList, rootRoles } from './roles.js';
import type { ReachProof } from './cross-account.js';
import { resolveValue } from '../aws-docs.js';
import type { TerraformRoot } from '../../emit/artifacts.js';
import { verifyRotator } from './rotator.js';
import { verifyAzureRotator } from './rotator-azure.js';
import { adviceThenRegenerate } from '../../spec/findings.js';

/**
 * Proofs for roles that GitLab ID tokens unlock, from the emitted trust documents (AWS) and
 * federated credentials (Azure): the intended project and ref are accepted; another project,
 * another branch, a tag of the same name, another audience and another issuer are refused.
 * Rules: sub patterns that admit a whole group or every ref (RF122, says what they admit);
 * conditions on token claims IAM does not evaluate for a generic OIDC provider (RF123).
 */

/** Claims IAM evaluates for a generic OIDC provider (docs/reference/oidc-claims.md): `<issuer>:aud` (azp when present) and `<issuer>:sub`. */
export const IAM_EVALUATED_CLAIMS: ReadonlySet<string> = new Set(['aud', 'sub']);

function f(code: Code, path: string, message: string, extra: Partial<Finding> = {}): Finding {
  return { code, severity: CODES[code].severity, path, message, ...extra };
}

interface Token {
  issuer: string;
  project: string;
  refType: 'branch' | 'tag';
  ref: string;
  aud: string;
  /** What makes this token different from the intended one (for messages). */
  variant: string;
  /** An intended token of a subject that admits projects of any group: what that subject admits. */
  anyGroup?: string;
}

type Subject = IdTokenIntent['roles'][number]['subjects'][number];

function intended(subjects: readonly Subject[], t: { project: string; refType: string; ref: string }): boolean {
  return subjects.some((s) => (s.project !== undefined ? s.project === t.project : s.prefix !== undefined ? t.project.startsWith(s.prefix) : t.project.startsWith(`${s.group!}/`)) && s.refType === t.refType && (s.anyRef || s.refs.includes(t.ref)));
}

/** A project a subject admits: its own, one under its group, or (prefix) one in a group of its own. */
function probeProject(s: Subject): string {
  if (s.project !== undefined) return s.project;
  if (s.prefix !== undefined) return s.prefix === '' ? 'runner-fleet-probe/project' : `${s.prefix}-runner-fleet-probe/project`;
  return `${s.group!}/runner-fleet-probe`;
}

/** What a subject admits, in words: `acme/app`, `acme/*`, `acme* (any group)`, `every project`. */
export function subjectWho(s: Subject): string {
  if (s.project !== undefined) return s.project;
  if (s.prefix !== undefined) return s.prefix === '' ? 'every project' : `${s.prefix}* (any group)`;
  return `${s.group!}/*`;
}

/** The token each subject is meant for, and its look-alikes. */
function tokensFor(role: IdTokenIntent['roles'][number]): { good: Token[]; bad: Token[] } {
  const good: Token[] = [];
  const bad: Token[] = [];
  const otherIssuer = role.issuer.replace(/^https:\/\/([^/]+)/, 'https://runner-fleet-probe.$1');
  for (const s of role.subjects) {
    const project = probeProject(s);
    const ref = s.anyRef ? 'runner-fleet-probe-ref' : s.refs[0]!;
    const base = { issuer: role.issuer, project, refType: s.refType, ref, aud: role.audience };
    const anyGroup = s.prefix === undefined ? undefined : s.prefix === '' ? 'every project of the instance' : `every project whose path starts with ${s.prefix}, in any group`;
    good.push({ ...base, variant: 'intended', ...(anyGroup !== undefined ? { anyGroup } : {}) });
    const outside = s.project ?? s.group ?? s.prefix!;
    bad.push(
      { ...base, project: `${outside}-other${s.project ? '' : '/project'}`, variant: 'another project' },
      { ...base, project: `runner-fleet-probe/${project}`, variant: 'another project (same name in another group)' },
      { ...base, ref: `${ref}-other`, variant: `another ${s.refType}` },
      { ...base, ref: 'feature/runner-fleet-probe', variant: `another ${s.refType}` },
      { ...base, refType: s.refType === 'branch' ? 'tag' : 'branch', variant: s.refType === 'branch' ? 'a tag instead of the branch' : 'a branch instead of the tag' },
      { ...base, aud: `${role.audience}-other`, variant: 'another audience' },
      { ...base, issuer: otherIssuer, variant: 'another issuer' },
    );
  }
  // A look-alike another subject of the same role admits on purpose is not a leak.
  return { good, bad: bad.filter((t) => t.issuer !== role.issuer || t.aud !== role.audience || !intended(role.subjects, t)) };
}

/**
 * What a project_path pattern admits, in words. A pattern is a prefix match on the path up to its
 * first wildcard (`*` and `?` also match `/`): `acme/*` stays under group acme, `acme*` does not
 * (it admits acme-evil/x too).
 */
function describeProjectPattern(project: string): string {
  const literal = project.slice(0, project.search(/[*?]/));
  if (!literal.includes('/')) return literal === '' ? 'every project of the instance' : `every project whose path starts with ${literal}, in any group (${literal}-other/x too, not only ${literal} and its subgroups)`;
  const group = literal.slice(0, literal.lastIndexOf('/'));
  return project === `${group}/*` ? `every project under ${group} (subgroups included)` : `every project under ${group} whose path matches ${project}`;
}

/** StringLike: `*` any characters (`/` too), `?` one. */
export function stringLikeMatches(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '[\\s\\S]')}$`);
  return re.test(value);
}

/** A GitLab sub of a project and ref no trust names on purpose: a pattern that matches it admits every project. */
export const ANY_PROJECT_PROBE_SUB = 'project_path:runner-fleet-probe/project:ref_type:branch:ref:runner-fleet-probe-ref';

/** What a sub pattern admits, in words. */
export function describeSubPattern(pattern: string): string {
  const m = /^project_path:(.*):ref_type:(.*):ref:(.*)$/.exec(pattern);
  if (!m) return stringLikeMatches(pattern, ANY_PROJECT_PROBE_SUB) ? `every project of the instance, every ref (sub ${pattern})` : `every token whose sub matches ${pattern}`;
  const [, project, refType, ref] = m as unknown as [string, string, string, string];
  const who = /[*?]/.test(project) ? describeProjectPattern(project) : `project ${project}`;
  const type = refType.includes('*') ? 'ref (branch or tag)' : refType;
  const which = ref === '*' ? `every ${type}, protected or not` : ref.includes('*') || ref.includes('?') ? `every ${type} matching ${ref}` : `${type} ${ref}`;
  return `${who}, ${which}`;
}

function awsProof(docs: ReachDocuments, intentRole: IdTokenIntent['roles'][number], findings: Finding[], partition: string, rotatorClaims: Map<string, string>): boolean {
  const role = docs.ciRoot ? rootRoles(docs.ciRoot).roles.get(intentRole.roleName) : undefined;
  if (!role || !intentRole.providerArn) {
    findings.push(f('RF120', intentRole.path, `no role ${intentRole.roleName} for GitLab ID tokens in terraform/aws/main.tf.json`, { fix: 'this is a bug in runner-fleet; please report it with the spec' }));
    return false;
  }
  const hpOf = (issuer: string) => issuer.replace(/^https:\/\//, '');
  const providerOf = (issuer: string) => intentRole.providerArn!.replace(/oidc-provider\/.*$/, `oidc-provider/${hpOf(issuer)}`);
  const accepts = (t: Token) =>
    evaluatePolicies(
      { resource: [role.trustCompiled] },
      { principal: { type: 'Federated', id: providerOf(t.issuer) }, action: 'sts:AssumeRoleWithWebIdentity', resource: '*', context: { [`${hpOf(t.issuer)}:sub`]: gitlabSub(t.project, t.refType, t.ref), [`${hpOf(t.issuer)}:aud`]: t.aud } },
    ) === 'allow';
  let ok = check(intentRole, accepts, findings);
  if (intentRole.rotator) {
    const out = verifyRotator(intentRole.path, role, hpOf(intentRole.issuer), intentRole.rotator, partition);
    findings.push(...out.findings);
    rotatorClaims.set(intentRole.name, out.claim);
    if (out.findings.length > 0) ok = false;
  }
  // Static rules on the trust document itself.
  const hp = hpOf(intentRole.issuer);
  for (const st of asList(role.trust.Statement)) {
    if (st.Effect !== 'Allow') continue;
    const keys = Object.values(st.Condition ?? {}).flatMap((b) => Object.keys(b));
    if (!keys.some((k) => k.toLowerCase() === `${hp}:aud`.toLowerCase())) {
      findings.push(f('RF101', intentRole.path, `role ${role.name} accepts GitLab ID tokens of any audience (statement ${st.Sid ?? '?'})`, { fix: `pin ${hp}:aud with StringEquals` }));
      ok = false;
    }
    for (const [op, block] of Object.entries(st.Condition ?? {})) {
      for (const [k, v] of Object.entries(block)) {
        const claim = k.toLowerCase().startsWith(`${hp.toLowerCase()}:`) ? k.slice(hp.length + 1) : undefined;
        if (claim !== undefined && !IAM_EVALUATED_CLAIMS.has(claim)) {
          findings.push(f('RF123', intentRole.path, `role ${role.name} conditions on ${k}, a claim IAM does not evaluate for a generic OIDC provider: the key is absent at AssumeRoleWithWebIdentity, so ${/Not/.test(op) ? 'the condition always holds and protects nothing' : 'the condition never holds'}`, { received: `${op} ${JSON.stringify(v)}`, allowed: `${hp}:sub and ${hp}:aud`, fix: 'express it in sub (project, ref type, ref): e.g. list the protected branches by name' }));
          ok = false;
        }
        if (claim === 'sub' && /Like/i.test(op)) {
          for (const pattern of asList(v).map(String).filter((x) => /[*?]/.test(x))) {
            findings.push(f('RF122', intentRole.path, `role ${role.name} admits ID tokens of ${describeSubPattern(pattern)}`, { received: pattern, fix: 'name the project and its protected branches or tags (subjects[].project and refs)', deploymentFix: 'pin the sub with StringEquals to project_path:<group>/<project>:ref_type:branch:ref:<branch> (one value per project and protected branch or tag) instead of a pattern' }));
          }
        }
      }
    }
  }
  return ok;
}

function azureProof(docs: ReachDocuments, intentRole: IdTokenIntent['roles'][number], findings: Finding[]): boolean {
  const root: TerraformRoot | undefined = intentRole.azureRoot ?? docs.azureRoot;
  const identityKey = Object.entries(root?.resource.azurerm_user_assigned_identity ?? {}).find(([, b]) => b.name === intentRole.roleName)?.[0];
  if (!root || identityKey === undefined) {
    findings.push(f('RF120', intentRole.path, `no managed identity ${intentRole.roleName} in terraform/azure/main.tf.json`, { fix: 'this is a bug in runner-fleet; please report it with the spec' }));
    return false;
  }
  const credentials = Object.values(root.resource.azurerm_federated_identity_credential ?? {}).filter((c) => {
    const parent = c.parent_id;
    return typeof parent === 'string' && parent === `\${azurerm_user_assigned_identity.${identityKey}.id}`;
  });
  // Entra ID matches issuer and subject exactly and the audience against the list.
  const accepts = (t: Token) =>
    credentials.some((c) => resolveValue(root, c.issuer) === t.issuer && resolveValue(root, c.subject) === gitlabSub(t.project, t.refType, t.ref) && asList(c.audience as string | string[]).includes(t.aud));
  return check(intentRole, accepts, findings);
}

function check(role: IdTokenIntent['roles'][number], accepts: (t: Token) => boolean, findings: Finding[]): boolean {
  const { good, bad } = tokensFor(role);
  let ok = true;
  const wide = new Set<string>();
  for (const t of good) {
    if (t.anyGroup !== undefined && !wide.has(t.anyGroup) && accepts(t)) {
      wide.add(t.anyGroup);
      ok = false;
      findings.push(f('RF121', role.path, `${role.roleName} accepts ID tokens of ${t.anyGroup}, e.g. ${gitlabSub(t.project, t.refType, t.ref)}: its sub pattern is not bound to a group`, { fix: 'name the project (or group/*) and its protected branches or tags in the sub condition' }));
    }
    if (!accepts(t)) {
      ok = false;
      findings.push(f('RF120', role.path, `${role.roleName} refuses the ID token of ${t.project} ${t.refType} ${t.ref} (aud ${t.aud}) it was made for`, { ...adviceThenRegenerate('the trust (or federated credential) must name this sub, audience and issuer') }));
    }
  }
  for (const t of bad) {
    if (accepts(t)) {
      ok = false;
      findings.push(f('RF121', role.path, `${role.roleName} accepts an ID token of ${t.variant}: ${gitlabSub(t.project, t.refType, t.ref)}, aud ${t.aud}, iss ${t.issuer}`, { fix: 'pin issuer, audience and sub to the intended project and refs' }));
    }
  }
  return ok;
}

export function verifyIdTokens(docs: ReachDocuments, intent: IdTokenIntent): { findings: Finding[]; proofs: ReachProof[] } {
  const findings: Finding[] = [];
  const proofs: ReachProof[] = [];
  const rotatorClaims = new Map<string, string>();
  for (const role of intent.roles) {
    let ok = role.cloud === 'aws' ? awsProof(docs, role, findings, intent.partition, rotatorClaims) : azureProof(docs, role, findings);
    if (role.azureRotator) {
      const out = verifyAzureRotator(role.azureRoot ?? docs.azureRoot, role.path, role.roleName, role.audience, role.azureRotator);
      findings.push(...out.findings);
      rotatorClaims.set(role.name, out.claim);
      if (out.findings.length > 0) ok = false;
    }
    const { bad } = tokensFor(role);
    const who = role.subjects.map((s) => `${subjectWho(s)} ${s.anyRef ? `any ${s.refType}` : `${s.refType} ${s.refs.join(', ')}`}`).join('; ');
    proofs.push({ runner: `id-token ${role.name}`, claim: `${role.cloud === 'aws' ? 'role' : 'managed identity'} ${role.roleName} accepts GitLab ID tokens of ${who} (aud ${role.audience}) and refuses ${bad.length} look-alikes: other projects, refs, ref types, audiences, issuers`, holds: ok });
    const rc = rotatorClaims.get(role.name);
    if (rc !== undefined) proofs.push({ runner: `id-token ${role.name}`, claim: rc, holds: ok });
  }
  return { findings, proofs };
}
