import type { Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import type { TerraformRoot } from '../emit/artifacts.js';
import type { PolicyDocument, Statement } from '../verify/iam/types.js';
import { compilePolicy, PolicyGrammarError } from '../verify/iam/evaluator.js';
import { formatPosition, originAt } from './source.js';
import type { Evidence } from './evidence.js';
import { evaluateConfigs } from './hcl/read.js';
import { terraformSymbols } from '../verify/reach/roles.js';

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const blocks = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isObject) : isObject(v) ? [v] : []);
const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** `aws_iam_policy_document` rendered to the JSON AWS receives; undefined when a value is not static. */
export function renderPolicyDocument(body: Record<string, unknown>): PolicyDocument | undefined {
  if (typeof body.json === 'string') {
    // `terraform show -json` carries the rendered document.
    try {
      return JSON.parse(body.json) as PolicyDocument;
    } catch {
      return undefined;
    }
  }
  if (JSON.stringify(body).includes('${')) return undefined;
  const statements: Statement[] = blocks(body.statement).map((s) => {
    const st: Statement = { Effect: s.effect === 'Deny' ? 'Deny' : 'Allow' };
    if (typeof s.sid === 'string') st.Sid = s.sid;
    if (s.actions !== undefined) st.Action = list(s.actions).map(String);
    if (s.not_actions !== undefined) st.NotAction = list(s.not_actions).map(String);
    if (s.resources !== undefined) st.Resource = list(s.resources).map(String);
    if (s.not_resources !== undefined) st.NotResource = list(s.not_resources).map(String);
    const principals = blocks(s.principals);
    if (principals.length > 0) {
      const p: Record<string, string[]> = {};
      for (const x of principals) p[String(x.type)] = [...(p[String(x.type)] ?? []), ...list(x.identifiers).map(String)];
      st.Principal = (principals.length === 1 && principals[0]!.type === '*' ? '*' : p);
    }
    const conditions = blocks(s.condition);
    if (conditions.length > 0) {
      const c: Record<string, Record<string, string[]>> = {};
      for (const x of conditions) (c[String(x.test)] ??= {})[String(x.variable)] = list(x.values).map(String);
      st.Condition = c;
    }
    return st;
  });
  return { Version: typeof body.version === 'string' ? body.version : '2012-10-17', Statement: statements };
}

/** Why a policy document is not one the IAM evaluator (and AWS) accepts; undefined when it is. */
function grammarError(doc: unknown): string | undefined {
  try {
    compilePolicy(doc as PolicyDocument);
    return undefined;
  } catch (e) {
    if (e instanceof PolicyGrammarError) return e.message;
    throw e;
  }
}

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

/**
 * One Terraform root in the shapes the proofs read: every role's trust and inline policies as
 * literal JSON strings, roles given as IAM JSON or `aws iam` output added as resources. A value
 * that is not statically known is a finding; the role it belongs to is left out, never guessed.
 */
export function normalizeTerraform(ev: Evidence): { root: TerraformRoot; findings: Finding[] } {
  const findings: Finding[] = evaluateConfigs(ev, { renderPolicy: renderPolicyDocument });
  const tf = ev.terraform;
  const resource: TerraformRoot['resource'] = {};
  for (const [type, byName] of Object.entries(tf.resource)) resource[type] = { ...byName };
  const root: TerraformRoot = { terraform: {}, resource, data: tf.data };
  const where = (key: string, ...path: string[]) => {
    const o = tf.origins.get(key);
    return o ? formatPosition(originAt(o, ...path)) : '';
  };
  // Every document the proofs will read is checked against the policy grammar first: a bad one is a finding for its file, not a crash.
  const literal = (key: string, attr: string, value: unknown): string | undefined => {
    const json = document(key, attr, value);
    if (json === undefined) return undefined;
    const bad = grammarError(JSON.parse(terraformSymbols(json)));
    if (bad === undefined) return json;
    findings.push({ code: 'RF901', severity: CODES.RF901.severity, path: where(`${key}.${attr}`) || where(key, attr), message: `${key}.${attr} is not a valid IAM policy document: ${bad}`, fix: 'fix the policy document' });
    return undefined;
  };
  const document = (key: string, attr: string, value: unknown): string | undefined => {
    if (isObject(value)) return JSON.stringify(value);
    if (typeof value !== 'string') return undefined;
    // An External ID given at apply time (a variable without default) is one symbol both ends carry, as plan treats it.
    if (externalIdSymbolsOnly(value)) return terraformSymbols(value);
    // Evaluated configuration says why a value is not known (.tf and .tf.json alike).
    const why = value.includes('${') ? tf.unknowns.get(`${key}.${attr}`) : undefined;
    if (why?.code === 'RF913') return undefined; // reported once, where the reference is written
    if (why) {
      findings.push({ code: 'RF906', severity: CODES.RF906.severity, path: formatPosition(why.at), message: `${key}.${attr} is not statically known: ${why.message}`, received: value.slice(0, 120), fix: why.fix ?? 'give `terraform show -json` of a plan, which carries the evaluated value' });
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
  for (const [k, body] of Object.entries(resource.aws_iam_role ?? {})) {
    const key = `aws_iam_role.${k}`;
    const trust = literal(key, 'assume_role_policy', body.assume_role_policy);
    if (typeof body.name !== 'string' || body.name.includes('${') || trust === undefined) {
      const why = tf.unknowns.get(`${key}.name`);
      if (why?.code === 'RF913') {
        // Reported where the reference is written.
      } else if (typeof body.name !== 'string' || body.name.includes('${')) findings.push({ code: 'RF906', severity: CODES.RF906.severity, path: why ? formatPosition(why.at) : where(key), message: `${key} has no literal name, so nothing can be matched against it${why ? `: ${why.message}` : ''}`, fix: 'give the role a literal name, or give `terraform show -json`' });
      delete resource.aws_iam_role![k];
      continue;
    }
    resource.aws_iam_role![k] = { ...body, assume_role_policy: trust };
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
    if (policy === undefined) delete resource.aws_iam_role_policy![k];
    else resource.aws_iam_role_policy![k] = { ...body, policy };
  }
  // Roles given as IAM JSON or `aws iam` output.
  const byName = new Set(Object.values(resource.aws_iam_role ?? {}).map((b) => b.name));
  let n = 0;
  for (const role of ev.roles.values()) {
    const bad = [role.trust ? grammarError(role.trust) : undefined, ...role.policies.map((p) => grammarError(p.document))].find((x) => x !== undefined);
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
    });
  }
  return { root, findings };
}
