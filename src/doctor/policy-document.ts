import type { PolicyDocument, Statement } from '../verify/iam/types.js';
import { ownChild, setOwn } from '../emit/artifacts.js';
import { isObject } from '../model/is-object.js';

/**
 * `data "aws_iam_policy_document"` as the AWS provider reads it: the attribute types its schema
 * declares (a value of the wrong type is a Terraform error, so it is a finding here, never coerced
 * into a policy that would then be "proven"), and the JSON it renders — `statement` blocks with
 * `principals` / `not_principals` / `condition`, `policy_id`, `source_policy_documents` and
 * `override_policy_documents` merged by `sid` as the provider merges them.
 */

const blocks = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isObject) : isObject(v) ? [v] : []);
const list = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
/** Terraform converts numbers and bools to strings for a `set(string)`; anything else stays as written so the grammar check refuses it. */
const strings = (v: unknown): unknown[] => list(v).map((x) => (typeof x === 'number' || typeof x === 'boolean' ? String(x) : x));

/** Where in the data source's body a value has the wrong type, what was there, and what the schema takes. */
export interface PolicyDocumentProblem {
  path: (string | number)[];
  message: string;
  received: string;
}

const STRING_LISTS = ['actions', 'not_actions', 'resources', 'not_resources'] as const;
const show = (v: unknown): string => (JSON.stringify(v) ?? String(v)).slice(0, 120);

/** The first value of a data source body whose type the provider's schema refuses; undefined when every value fits. */
export function policyDocumentProblem(body: Record<string, unknown>): PolicyDocumentProblem | undefined {
  const bad = (path: (string | number)[], v: unknown, wanted: string): PolicyDocumentProblem => ({ path, received: show(v), message: `${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').slice(1)} must be ${wanted}, got ${show(v)}` });
  // Absent, null, or known only at apply (rendered as its `${…}` reference): nothing to check.
  const given = (v: unknown) => v !== undefined && v !== null && !(typeof v === 'string' && v.includes('${'));
  // Terraform converts numbers and bools to strings where the schema says string; nothing else.
  const isStr = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
  const scalarList = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean');
  for (const k of ['version', 'policy_id'] as const) if (given(body[k]) && !isStr(body[k])) return bad([k], body[k], 'a string');
  if (given(body.version) && body.version !== '2012-10-17' && body.version !== '2008-10-17') return bad(['version'], body.version, '"2012-10-17" or "2008-10-17"');
  for (const k of ['source_policy_documents', 'override_policy_documents'] as const) {
    if (given(body[k]) && !(Array.isArray(body[k]) && body[k].every((x) => typeof x === 'string'))) return bad([k], body[k], 'a list of JSON policy documents (strings)');
  }
  const st = body.statement;
  if (given(st) && !isObject(st) && !(Array.isArray(st) && st.every(isObject))) return bad(['statement'], st, 'statement blocks');
  const statements = blocks(st);
  for (let i = 0; i < statements.length; i++) {
    const s = statements[i]!;
    const at = (...p: (string | number)[]) => ['statement', i, ...p];
    if (given(s.sid) && !isStr(s.sid)) return bad(at('sid'), s.sid, 'a string');
    if (given(s.effect) && s.effect !== 'Allow' && s.effect !== 'Deny') return bad(at('effect'), s.effect, '"Allow" or "Deny"');
    for (const k of STRING_LISTS) if (given(s[k]) && !scalarList(s[k])) return bad(at(k), s[k], 'a list of strings');
    for (const kind of ['principals', 'not_principals', 'condition'] as const) {
      const v = s[kind];
      if (!given(v)) continue;
      if (!isObject(v) && !(Array.isArray(v) && v.every(isObject))) return bad(at(kind), v, `${kind} blocks`);
      const bs = blocks(v);
      for (let j = 0; j < bs.length; j++) {
        const b = bs[j]!;
        const fields = kind === 'condition' ? (['test', 'variable'] as const) : (['type'] as const);
        for (const f of fields) if (given(b[f]) && !isStr(b[f])) return bad(at(kind, j, f), b[f], 'a string');
        const values = kind === 'condition' ? 'values' : 'identifiers';
        if (given(b[values]) && !scalarList(b[values])) return bad(at(kind, j, values), b[values], 'a list of strings');
      }
    }
  }
  return undefined;
}

/** One statement block as IAM JSON. */
function statementOf(s: Record<string, unknown>): Statement {
  const st: Statement = { Effect: s.effect === 'Deny' ? 'Deny' : 'Allow' };
  if (typeof s.sid === 'string' && s.sid !== '') st.Sid = s.sid;
  if (s.actions !== undefined && s.actions !== null) st.Action = strings(s.actions) as string[];
  if (s.not_actions !== undefined && s.not_actions !== null) st.NotAction = strings(s.not_actions) as string[];
  if (s.resources !== undefined && s.resources !== null) st.Resource = strings(s.resources) as string[];
  if (s.not_resources !== undefined && s.not_resources !== null) st.NotResource = strings(s.not_resources) as string[];
  for (const [attr, elem] of [['principals', 'Principal'], ['not_principals', 'NotPrincipal']] as const) {
    const principals = blocks(s[attr]);
    if (principals.length === 0) continue;
    const p: Record<string, unknown[]> = {};
    for (const x of principals) setOwn(p, String(x.type), [...((Object.hasOwn(p, String(x.type)) ? p[String(x.type)] : undefined) ?? []), ...strings(x.identifiers)]);
    (st as unknown as Record<string, unknown>)[elem] = principals.length === 1 && principals[0]!.type === '*' ? '*' : p;
  }
  const conditions = blocks(s.condition);
  if (conditions.length > 0) {
    const c: Record<string, Record<string, string[]>> = {};
    // Operators and keys are the user's text: a `__proto__` test must not reach Object.prototype.
    for (const x of conditions) setOwn(ownChild(c, String(x.test)), String(x.variable), strings(x.values) as string[]);
    st.Condition = c;
  }
  return st;
}

/** Statements merged by Sid: a statement with the Sid of an earlier one replaces it, others are added. */
function mergeBySid(into: Statement[], more: Statement[]): void {
  for (const s of more) {
    const i = typeof s.Sid === 'string' && s.Sid !== '' ? into.findIndex((x) => x.Sid === s.Sid) : -1;
    if (i >= 0) into[i] = s;
    else into.push(s);
  }
}

function statementsOfJson(text: unknown): Statement[] | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const doc = JSON.parse(text) as unknown;
    if (!isObject(doc)) return undefined;
    return list(doc.Statement) as Statement[];
  } catch {
    return undefined;
  }
}

/**
 * `aws_iam_policy_document` rendered to the JSON AWS receives; undefined when a value is not static. With
 * `symbols`, values known up to bare references (`${local.x}`) are rendered with them as written.
 */
export function renderPolicyDocument(body: Record<string, unknown>, symbols = false): PolicyDocument | undefined {
  if (typeof body.json === 'string') {
    // `terraform show -json` carries the rendered document.
    try {
      return JSON.parse(body.json) as PolicyDocument;
    } catch {
      return undefined;
    }
  }
  if (!symbols && JSON.stringify(body).includes('${')) return undefined;
  // The provider: source documents first, then this document's statements, then the overrides, each replacing by Sid.
  const statements: Statement[] = [];
  for (const text of list(body.source_policy_documents)) {
    const more = statementsOfJson(text);
    if (!more) return undefined;
    mergeBySid(statements, more);
  }
  mergeBySid(statements, blocks(body.statement).map(statementOf));
  for (const text of list(body.override_policy_documents)) {
    const more = statementsOfJson(text);
    if (!more) return undefined;
    mergeBySid(statements, more);
  }
  const doc: PolicyDocument = { Version: typeof body.version === 'string' ? body.version : '2012-10-17', Statement: statements };
  if (typeof body.policy_id === 'string' && body.policy_id !== '') (doc as PolicyDocument & { Id?: string }).Id = body.policy_id;
  return doc;
}

const IAM_TO_DATA: Record<string, string> = { Sid: 'sid', Effect: 'effect', Action: 'actions', NotAction: 'not_actions', Resource: 'resources', NotResource: 'not_resources', Principal: 'principals', NotPrincipal: 'not_principals', Condition: 'condition' };

/**
 * The path inside a policy document that a grammar message of the IAM evaluator names
 * (`Statement[0].Condition.StringEquals.x:sub: …` → Statement, 0, Condition, StringEquals):
 * findings then point at the element, not at the whole document.
 */
export function grammarPath(message: string): (string | number)[] {
  const m = /^Statement\[(\d+)\](?:\.(Sid|Effect|Action|NotAction|Resource|NotResource|Principal|NotPrincipal|Condition)(?:\.([A-Za-z]+))?)?/.exec(message);
  if (!m) return [];
  return ['Statement', Number(m[1]), ...(m[2] !== undefined ? [m[2]] : []), ...(m[3] !== undefined && m[2] === 'Condition' ? [m[3]] : [])];
}

/** The same path in the data source that rendered the document (statement i, its attribute). */
export function dataPathOf(iamPath: (string | number)[], body: Record<string, unknown> | undefined): (string | number)[] {
  if (iamPath[0] !== 'Statement' || typeof iamPath[1] !== 'number') return [];
  // Statements merged in from source documents are not written in this block: point at the block.
  if (body && (body.source_policy_documents !== undefined || body.override_policy_documents !== undefined)) return [];
  const elem = typeof iamPath[2] === 'string' ? IAM_TO_DATA[iamPath[2]] : undefined;
  return ['statement', iamPath[1], ...(elem !== undefined ? [elem] : [])];
}

/**
 * A path for `SourceFile.locate`: HCL marks every block with its index (`statement`, 0), JSON
 * writes a single block as an object, so there an index that meets no list is dropped.
 */
export function pathIn(value: unknown, path: (string | number)[], hcl: boolean): (string | number)[] {
  if (hcl) return path;
  const out: (string | number)[] = [];
  let v = value;
  for (const k of path) {
    if (typeof k === 'number' && !Array.isArray(v)) continue;
    out.push(k);
    v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined;
  }
  return out;
}
