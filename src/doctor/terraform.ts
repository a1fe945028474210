import type { Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import type { TerraformRoot } from '../emit/artifacts.js';
import { setOwn } from '../emit/artifacts.js';
import type { PolicyDocument } from '../verify/iam/types.js';
import { compilePolicy, PolicyGrammarError, policyKindProblem } from '../verify/iam/evaluator.js';
import { onlyKmsKeyRefs, resolveValue, withKmsKeyStandIns } from '../verify/aws-docs.js';
import { formatPosition, originAt, type Origin } from './source.js';
import type { Evidence } from './evidence.js';
import { evaluateConfigs } from './hcl/read.js';
import { normalPath, writtenExpression, type Value } from './hcl/eval.js';
import { namedBeforeApply } from './hcl/registry-modules.js';
import { evidenceFile } from './helm-release.js';
import { dataPathOf, grammarPath, pathIn, policyDocumentProblem, renderPolicyDocument } from './policy-document.js';

export { renderPolicyDocument } from './policy-document.js';
import { terraformSymbols } from '../verify/reach/roles.js';
import { isObject } from '../model/is-object.js';

/**
 * Why a policy document is not one the IAM evaluator (and AWS) accepts; undefined when it is.
 * With `kind`, also as that kind: a trust policy names a principal in every statement, a
 * permission policy in none (the proofs evaluate them so).
 */
function grammarError(doc: unknown, kind?: 'identity' | 'resource'): string | undefined {
  try {
    const compiled = compilePolicy(doc as PolicyDocument);
    return kind === undefined ? undefined : policyKindProblem(compiled, kind);
  } catch (e) {
    if (e instanceof PolicyGrammarError) return e.message;
    throw e;
  }
}

/** A JSON policy whose only unknowns are Terraform symbols the IAM evaluator accepts (TERRAFORM_SYMBOL, in principals and condition keys). */
function symbolicDocument(value: string): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(value);
  } catch {
    return undefined;
  }
  return isObject(doc) && grammarError(doc) === undefined ? value : undefined;
}

const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * Whether the only Terraform expressions in a JSON policy text are `${var.<name>}` values of
 * `sts:ExternalId` conditions: the External ID of a deploy target is a secret passed when
 * Terraform runs (never written in a file), which the proofs treat as one opaque symbol.
 */
function externalIdSymbolsOnly(value: string): boolean {
  const exprs = value.match(/\$\{[^}]*\}/g) ?? [];
  if (exprs.length === 0 || !exprs.every((e) => /^\$\{var\.[A-Za-z0-9_-]+\}$/.test(e))) return false;
  let doc: unknown;
  try {
    doc = JSON.parse(value);
  } catch {
    return false;
  }
  const ext = new Set<string>();
  for (const st of list((doc as { Statement?: unknown } | null)?.Statement)) {
    for (const block of Object.values(isObject(st) && isObject(st.Condition) ? st.Condition : {})) {
      for (const [k, v] of Object.entries(isObject(block) ? block : {})) if (k.toLowerCase() === 'sts:externalid') for (const x of list(v)) ext.add(String(x));
    }
  }
  return exprs.every((e) => ext.has(e)) && (value.match(/\$\{/g) ?? []).length === exprs.length;
}

const DATA_DOC = /^\$\{data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)\.json\}$/;

/** Any account: the grammar check only needs the references to KMS keys to read as ARNs. */
const GRAMMAR_ACCOUNT = { partition: 'aws', region: 'us-east-1', accountId: '000000000000' };

function jsonText(value: string): boolean {
  try {
    JSON.parse(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * The permission policies of `root` with every reference to the ARN or id of one of its KMS keys
 * (kept by normalizeTerraform) replaced by the key's stand-in in the deployment's account and
 * region (kmsKeyStandIn): what apply would write, up to the key id only apply knows. Run once the
 * account is inferred, before any proof reads the root.
 */
export function resolveKmsKeyReferences(root: TerraformRoot, aws: { partition: string; region: string; accountId: string }, accountOf?: (address: string) => string | undefined): void {
  const keys = root.resource.aws_kms_key;
  if (keys === undefined) return;
  for (const type of ['aws_iam_role_policy', 'aws_iam_policy']) {
    for (const [name, body] of Object.entries(root.resource[type] ?? {})) {
      // Roots given together in several accounts: a policy's keys are of its own root, in that root's account.
      const own = accountOf?.(`${type}.${name}`);
      if (typeof body.policy === 'string') body.policy = withKmsKeyStandIns(body.policy, keys, own !== undefined && own !== aws.accountId ? { ...aws, accountId: own } : aws);
    }
  }
}

/**
 * Evaluates the Terraform configuration given into the evidence (resources, data sources, the chart
 * values of `helm_release`), once: later calls return the findings of the first.
 */
export function evaluateTerraform(ev: Evidence): readonly Finding[] {
  const read = (path: string): string | undefined => {
    const text = evidenceFile(ev, path);
    if (text !== undefined) (ev.terraform.filesRead ??= new Set()).add(normalPath(path));
    return text;
  };
  const templateRendered = (path: string, vars: Readonly<Record<string, Value>>): void => {
    const all = (ev.terraform.templateVars ??= new Map<string, Map<string, Set<string | null>>>());
    const byName = all.get(normalPath(path)) ?? new Map<string, Set<string | null>>();
    all.set(normalPath(path), byName);
    for (const [name, v] of Object.entries(vars)) {
      const values = byName.get(name) ?? new Set<string | null>();
      byName.set(name, values);
      values.add(typeof v === 'string' || typeof v === 'number' ? String(v) : null);
    }
  };
  return (ev.terraform.evaluated ??= evaluateConfigs(ev, { renderPolicy: renderPolicyDocument, file: read, templateRendered }));
}

/** A role of the Terraform given that is not in the proofs' documents, and the finding that says why. */
export interface LeftOutRole {
  address: string;
  /** Its literal name, where it has one. */
  name?: string;
  /** What of it is not read: "its trust policy", "its name". */
  unread: string;
  code: string;
  path: string;
}

/**
 * One Terraform root in the shapes the proofs read: every role's trust and inline policies as
 * literal JSON strings, roles given as IAM JSON or `aws iam` output added as resources. A value
 * that is not statically known is a finding; the role it belongs to is left out, never guessed.
 */
export function normalizeTerraform(ev: Evidence): { root: TerraformRoot; findings: Finding[]; leftOutRoles: ReadonlyMap<string, LeftOutRole> } {
  const findings: Finding[] = [...evaluateTerraform(ev)];
  const tf = ev.terraform;
  const resource: TerraformRoot['resource'] = {};
  for (const [type, byName] of Object.entries(tf.resource)) setOwn(resource, type, { ...byName });
  // The aws provider blocks too: their default_tags are tags of every resource (IAM conditions read them).
  // With several roots, each resource takes those of its own root (awsProviderOf).
  const root: TerraformRoot = { terraform: {}, resource, data: tf.data, ...(tf.awsProviders !== undefined ? { provider: { aws: tf.awsProviders } } : {}), ...(tf.awsProvidersOf !== undefined ? { awsProvidersOf: tf.awsProvidersOf } : {}) };
  const where = (key: string, ...path: (string | number)[]) => {
    const o = tf.origins.get(key);
    return o ? formatPosition(originAt(o, ...path)) : '';
  };
  // Policy data sources: a value of a type the provider's schema refuses is a finding at that value (Terraform refuses it too).
  const dataOrigins = new Map<Origin, string>();
  const badData = new Set<Origin>();
  for (const [k, body] of Object.entries(tf.data.aws_iam_policy_document ?? {})) {
    const origin = tf.origins.get(`data.aws_iam_policy_document.${k}`);
    if (origin) dataOrigins.set(origin, k);
    const p = policyDocumentProblem(body);
    if (!p) continue;
    if (origin) badData.add(origin);
    findings.push({ code: 'RF901', severity: CODES.RF901.severity, path: origin ? formatPosition(originAt(origin, ...pathIn(body, p.path, origin.source.syntax === 'hcl'))) : '', message: `data.aws_iam_policy_document.${k}: ${p.message} (the AWS provider refuses it too)`, received: p.received, fix: 'write the value as the aws_iam_policy_document schema takes it (terraform validate shows it too)' });
  }
  // Every document the proofs will read is checked against the policy grammar first: a bad one is a finding for its file, not a crash.
  const literal = (key: string, attr: string, value: unknown): string | undefined => {
    const json = document(key, attr, value);
    if (json === undefined) return undefined;
    // References to KMS keys of the files stay until the account is known (resolveKmsKeyReferences); checked with stand-ins here.
    const bad = grammarError(JSON.parse(terraformSymbols(withKmsKeyStandIns(json, tf.resource.aws_kms_key, GRAMMAR_ACCOUNT))), attr === 'assume_role_policy' ? 'resource' : 'identity');
    if (bad === undefined) return json;
    const from = tf.origins.get(`${key}.${attr}`);
    if (from && badData.has(from)) return undefined; // reported at the data source's value
    const dataKey = from ? dataOrigins.get(from) : undefined;
    const iamPath = grammarPath(bad);
    let path: string;
    if (from && dataKey !== undefined) {
      const body = tf.data.aws_iam_policy_document?.[dataKey];
      path = formatPosition(originAt(from, ...pathIn(body, dataPathOf(iamPath, body), from.source.syntax === 'hcl')));
    } else if (from) path = formatPosition(originAt(from, ...pathIn(value, iamPath, from.source.syntax === 'hcl')));
    else path = where(key, attr, ...pathIn(value, iamPath, false));
    findings.push({ code: 'RF901', severity: CODES.RF901.severity, path, message: `${key}.${attr}${dataKey !== undefined ? ` (rendered from data.aws_iam_policy_document.${dataKey})` : ''} is not a valid IAM policy document: ${bad}`, fix: 'fix the policy document' });
    return undefined;
  };
  const document = (key: string, attr: string, value: unknown): string | undefined => {
    if (isObject(value)) return JSON.stringify(value);
    if (typeof value !== 'string') return undefined;
    // An External ID given at apply time (a variable without default) is one symbol both ends carry, as plan treats it.
    if (externalIdSymbolsOnly(value)) return terraformSymbols(value);
    // A KMS key of the files named by its ARN or id (`Resource = aws_kms_key.x.arn`): known up to the
    // key's own stand-in, which the token key the proofs follow from a parameter's key_id is as well.
    if (attr !== 'assume_role_policy' && onlyKmsKeyRefs(value, tf.resource.aws_kms_key) && jsonText(value)) return value;
    // Evaluated configuration says why a value is not known (.tf and .tf.json alike).
    const why = value.includes('${') ? tf.unknowns.get(`${key}.${attr}`) : undefined;
    if (why && why.code !== 'RF906') return undefined; // reported once, where the reference (or the module call) is written
    if (why) {
      // Known only after apply (a created cluster's issuer, its OIDC provider's ARN): where the policy
      // names it as a bare reference in a Federated principal or a condition key, the proofs treat it
      // as one opaque symbol, as plan does for the documents it emits; anywhere else it is not proven.
      const symbolic = why.code === 'RF906' ? symbolicDocument(value) : undefined;
      if (symbolic !== undefined) return symbolic;
      findings.push({ code: 'RF906', severity: CODES.RF906.severity, path: formatPosition(why.at), message: `${key}.${attr} is not statically known: ${why.message}`, received: writtenExpression(value).slice(0, 120), fix: why.fix ?? 'give `terraform show -json` of a plan, which carries the evaluated value' });
      return undefined;
    }
    const m = DATA_DOC.exec(value);
    if (m) {
      const body = tf.data.aws_iam_policy_document?.[m[1]!];
      if (!body) {
        findings.push({ code: 'RF904', severity: CODES.RF904.severity, path: where(key, attr), message: `${key}.${attr} references data.aws_iam_policy_document.${m[1]!}, which is not in the Terraform given`, received: value, fix: 'define the data source, or fix the reference' });
        return undefined;
      }
      const doc = renderPolicyDocument(body);
      if (!doc) {
        findings.push({ code: 'RF906', severity: CODES.RF906.severity, path: where(`data.aws_iam_policy_document.${m[1]!}`), message: `data.aws_iam_policy_document.${m[1]!} uses values that are known only at apply time`, fix: 'give `terraform show -json` of a plan, which carries the rendered document' });
        return undefined;
      }
      return JSON.stringify(doc);
    }
    if (value.includes('${')) {
      findings.push({ code: 'RF906', severity: CODES.RF906.severity, path: where(key, attr), message: `${key}.${attr} is an expression the doctor cannot evaluate from .tf.json`, received: value.slice(0, 120), fix: 'give `terraform show -json` of a plan, or write the document literally' });
      return undefined;
    }
    try {
      JSON.parse(value);
      return value;
    } catch {
      findings.push({ code: 'RF901', severity: CODES.RF901.severity, path: where(key, attr), message: `${key}.${attr} is not a JSON policy document`, fix: 'write a valid IAM policy document' });
      return undefined;
    }
  };
  // Roles left out because a value of theirs is not read (said where it is written): by key (aws_iam_role.<k>) and literal name.
  const leftOutRoles = new Map<string, LeftOutRole>();
  for (const [k, body] of Object.entries(resource.aws_iam_role ?? {})) {
    const key = `aws_iam_role.${k}`;
    const said = findings.length;
    const trust = literal(key, 'assume_role_policy', body.assume_role_policy);
    // A role Terraform names at apply (name_prefix, or no name): its trust and policies are shown, its name is not.
    // It stays in the documents under a name no IAM role can have (IAM names take no `<`, `>` or `:`), so what
    // it may do and who may assume it are proven, while nothing that names it literally can match it.
    const call = tf.moduleCalls?.get(key);
    const picked = trust !== undefined && (body.name === undefined || body.name === null) ? namePickedAtApply(key, body.name_prefix, call && namedBeforeApply(call)) : undefined;
    if (picked) {
      findings.push({ code: 'RF903', severity: CODES.RF903.severity, path: where(key), message: picked.message, fix: picked.fix, deploymentFix: picked.fix });
      setOwn(resource.aws_iam_role!, k, { ...body, name: picked.standIn, assume_role_policy: trust });
      (tf.namedAtApply ??= new Map()).set(picked.standIn, key);
      continue;
    }
    if (typeof body.name !== 'string' || body.name.includes('${') || trust === undefined) {
      const why = tf.unknowns.get(`${key}.name`);
      if (why && why.code !== 'RF906') {
        // Reported where the reference is written.
      } else if (typeof body.name !== 'string' || body.name.includes('${')) findings.push({ code: 'RF906', severity: CODES.RF906.severity, path: why ? formatPosition(why.at) : where(key), message: `${key} has no literal name, so nothing can be matched against it${why ? `: ${why.message}` : ''}`, fix: 'give the role a literal name, or give `terraform show -json`' });
      delete resource.aws_iam_role![k];
      // Said by a finding of its own (here, or where the reference is written): not "missing evidence" elsewhere.
      const nameRead = typeof body.name === 'string' && !body.name.includes('${');
      const which = trust === undefined ? 'assume_role_policy' : 'name';
      const reason = tf.unknowns.get(`${key}.${which}`);
      const own = findings.slice(said).find((f) => f.path !== '');
      const at = own ? { code: own.code, path: own.path } : reason && reason.code !== 'RF906' ? { code: reason.code, path: formatPosition(reason.at) } : undefined;
      if (at) {
        const left: LeftOutRole = { address: key, ...(nameRead ? { name: body.name as string } : {}), unread: trust === undefined ? 'its trust policy' : 'its name', ...at };
        leftOutRoles.set(key, left);
        if (nameRead) leftOutRoles.set(body.name as string, left);
      }
      continue;
    }
    setOwn(resource.aws_iam_role!, k, { ...body, assume_role_policy: trust });
  }
  // A role's own `inline_policy` blocks (name, policy) are its inline policies, as aws_iam_role_policy resources are;
  // an empty block (Terraform's way to remove them all) has no policy and adds none.
  for (const [k, body] of Object.entries(resource.aws_iam_role ?? {})) {
    if (k.startsWith('doctor_') || body.inline_policy === undefined || body.inline_policy === null) continue;
    const blocks = Array.isArray(body.inline_policy) ? (body.inline_policy as unknown[]) : [body.inline_policy];
    blocks.forEach((b, i) => {
      if (!isObject(b) || b.policy === undefined || b.policy === null || b.policy === '') return;
      const policy = literal(`aws_iam_role.${k}`, 'inline_policy', b.policy);
      const key = `doctor_inline_${k}_${i}`;
      if (policy === undefined) {
        (root.unreadPolicies ??= []).push({ role: body.name, via: `aws_iam_role.${k}.inline_policy` });
        return;
      }
      (resource.aws_iam_role_policy ??= {})[key] = { role: body.name, policy };
      const origin = tf.origins.get(`aws_iam_role.${k}.inline_policy`) ?? tf.origins.get(`aws_iam_role.${k}`);
      if (origin) tf.origins.set(`aws_iam_role_policy.${key}`, origin);
    });
  }
  // Inline policies of roles left out go with them (the role is already reported; a dangling reference would only repeat it).
  const keptNames = new Set(Object.values(resource.aws_iam_role ?? {}).map((b) => String(b.name)));
  const leftOut = new Set<string>();
  for (const [k, b] of Object.entries(tf.resource.aws_iam_role ?? {})) {
    if (resource.aws_iam_role?.[k]) continue;
    leftOut.add(`\${aws_iam_role.${k}.name}`).add(`\${aws_iam_role.${k}.id}`);
    if (typeof b.name === 'string' && !keptNames.has(b.name)) leftOut.add(b.name);
  }
  for (const [k, body] of Object.entries(resource.aws_iam_role_policy ?? {})) {
    if (typeof body.role === 'string' && leftOut.has(body.role)) delete resource.aws_iam_role_policy![k];
  }
  for (const [k, body] of Object.entries(resource.aws_iam_role_policy ?? {})) {
    const policy = literal(`aws_iam_role_policy.${k}`, 'policy', body.policy);
    if (policy !== undefined) {
      setOwn(resource.aws_iam_role_policy!, k, { ...body, policy });
      continue;
    }
    // Reported above; what its role may do is not proven (the proofs say "not shown", never "cannot").
    delete resource.aws_iam_role_policy![k];
    (root.unreadPolicies ??= []).push({ role: body.role, via: `aws_iam_role_policy.${k}` });
  }
  // Customer managed policies: checked like inline ones; attached to a role, their statements are that role's.
  for (const [k, body] of Object.entries(resource.aws_iam_policy ?? {})) {
    const policy = literal(`aws_iam_policy.${k}`, 'policy', body.policy);
    if (policy === undefined) delete resource.aws_iam_policy![k];
    else setOwn(resource.aws_iam_policy!, k, { ...body, policy });
  }
  for (const [k, body] of Object.entries(resource.aws_iam_role_policy_attachment ?? {})) {
    // `${aws_iam_policy.x.arn}`, or in a module `${module.m.aws_iam_policy.x[0].arn}`, kept under `module.m.x[0]`.
    const m = typeof body.policy_arn === 'string' ? /^\$\{((?:module\.[A-Za-z0-9_-]+(?:\["[^"\]]*"\]|\[\d+\])?\.)*)aws_iam_policy\.([A-Za-z0-9_-]+(?:\[[^\]]+\])?)\.(?:arn|id)\}$/.exec(body.policy_arn) : null;
    const ref = m ? [m[0], `${m[1]!}${m[2]!}`] : null;
    const policy = ref ? resource.aws_iam_policy?.[ref[1]!]?.policy : undefined;
    if (typeof policy !== 'string' || (typeof body.role === 'string' && leftOut.has(body.role))) continue;
    (resource.aws_iam_role_policy ??= {})[`doctor_attached_${k}`] = { role: body.role, policy };
    // Read here with the policy's position; the proofs' reader must not count it twice.
    delete resource.aws_iam_role_policy_attachment![k];
    const origin = tf.origins.get(`aws_iam_policy.${ref![1]!}.policy`) ?? tf.origins.get(`aws_iam_policy.${ref![1]!}`);
    if (origin) tf.origins.set(`aws_iam_role_policy.doctor_attached_${k}`, origin);
  }
  // Roles given as IAM JSON or `aws iam` output.
  const byName = new Set(Object.values(resource.aws_iam_role ?? {}).map((b) => b.name));
  let n = 0;
  for (const role of ev.roles.values()) {
    const bad = [role.trust ? grammarError(role.trust, 'resource') : undefined, ...role.policies.map((p) => grammarError(p.document, 'identity'))].find((x) => x !== undefined);
    if (bad !== undefined) {
      const o = role.trustOrigin ?? role.policies[0]?.origin;
      findings.push({ code: 'RF901', severity: CODES.RF901.severity, path: o ? formatPosition(originAt(o)) : '', message: `a policy document of role ${role.name} is not valid: ${bad}`, fix: 'fix the policy document' });
      continue;
    }
    if (!role.trust) {
      const o = role.policies[0]?.origin;
      findings.push({ code: 'RF903', severity: CODES.RF903.severity, path: o ? formatPosition(originAt(o)) : '', message: `the trust policy of role ${role.name} is not in the evidence given`, fix: `give aws iam get-role --role-name ${role.name}` });
      continue;
    }
    if (byName.has(role.name)) continue;
    const key = `doctor_${n++}`;
    (resource.aws_iam_role ??= {})[key] = { name: role.name, path: role.path, assume_role_policy: JSON.stringify(role.trust) };
    if (role.trustOrigin) tf.origins.set(`aws_iam_role.${key}`, role.trustOrigin);
    role.policies.forEach((p, i) => {
      (resource.aws_iam_role_policy ??= {})[`${key}_${i}`] = { role: role.name, policy: JSON.stringify(p.document) };
      // Where the policy is written: the edit site of a grant the role must not have (edit-site.ts).
      if (p.origin) tf.origins.set(`aws_iam_role_policy.${key}_${i}`, p.origin);
    });
  }
  // A policy whose role the files do not declare (a registry module not read names it, a role of
  // another folder): what it grants is not proven (RF903 at it), never a broken reference of the files.
  const roleNames = new Set(Object.values(resource.aws_iam_role ?? {}).map((b) => b.name));
  for (const [k, body] of Object.entries(resource.aws_iam_role_policy ?? {})) {
    const name = resolveValue(root, body.role);
    if (typeof name === 'string' && roleNames.has(name)) continue;
    delete resource.aws_iam_role_policy![k];
    const attached = /^doctor_attached_(.+)$/.exec(k);
    const address = attached ? `aws_iam_role_policy_attachment.${attached[1]!}` : `aws_iam_role_policy.${k}`;
    const o = tf.origins.get(address) ?? tf.origins.get(`aws_iam_role_policy.${k}`);
    findings.push({ code: 'RF903', severity: CODES.RF903.severity, path: o ? formatPosition(originAt(o)) : '', message: `${address} gives a policy to role ${String(body.role)}, which no role of the files given is (a module that is not read, or another folder): what it grants is not proven`, fix: 'give the Terraform that declares the role (the whole folder), or `terraform show -json` of a plan' });
  }
  return { root, findings, leftOutRoles };
}

/**
 * A role whose name AWS or Terraform picks at apply: `name_prefix` (the provider appends a unique
 * suffix) or no name at all (the provider names it `terraform-` and a unique suffix;
 * terraform-provider-aws, aws_iam_role `name` / `name_prefix`). Undefined when the prefix itself
 * is not known (a value only apply knows keeps its RF906).
 */
function namePickedAtApply(key: string, prefix: unknown, moduleFix?: { call: string; words: string }): { standIn: string; message: string; fix: string } | undefined {
  if (prefix !== undefined && prefix !== null && (typeof prefix !== 'string' || prefix.includes('${'))) return undefined;
  const given = typeof prefix === 'string';
  return {
    standIn: `${given ? prefix : 'terraform-'}<suffix-picked-at-apply:${key}>`, // TerraformEvidence.namedAtApply
    message: `the name of ${key} is not shown: ${given ? `it comes from name_prefix ${JSON.stringify(prefix)} and Terraform appends a unique suffix` : 'the role has no name, so Terraform picks one (terraform-…)'} only at apply. Its trust and policies, and references to the resource itself (${key}.arn as a task role or a role-arn annotation), are proven as written; a name or ARN written out elsewhere (a trust, an iam:PassRole grant, an annotation) cannot be shown to be this role, and a policy document naming its ARN is not read`,
    fix: `${moduleFix ? `${moduleFix.words} in ${moduleFix.call}` : `set name = "<role name>" on ${key}${given ? ' instead of name_prefix' : ''}`}, or give \`terraform show -json\` of the applied state, which carries the name it was given`,
  };
}
