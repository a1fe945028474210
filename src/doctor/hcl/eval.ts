import { LineIndex, type Expr, type Span } from './ast.js';
import { parseJsonTemplate } from './parse.js';
import { MODULE_META, jsonStringLoc, literalString, type ConfigBlock, type ConfigBody, type ConfigModule, type ConfigModuleCall, type Loc, type VarFileValue, type VarFiles, type VariableDecl } from './config.js';
import { formatPosition, type Position } from '../source.js';
import { asSet, callFunction, isSet, replaceText } from './functions.js';
import type { TypeConstraint } from './types.js';
import { setOwn } from '../../emit/artifacts.js';
import { tfLiteral } from '../../emit/terraform/literal.js';
import { PICKED_AT_CREATE, providerAccount } from '../../verify/aws-docs.js';

/**
 * Evaluates Terraform configuration (HCL and JSON syntax alike) the way `terraform plan` would
 * before touching any API: locals, variable defaults, functions, templates, `for` expressions,
 * `count` and `for_each` over static values, references between blocks. What only apply knows
 * (a resource's ARN, a data source read from the account) stays a symbol — an `Unknown` that
 * renders as the `${…}` reference `.tf.json` would carry, with the reason and the position. A
 * reference to something that does not exist is a finding (RF913; RF903 for a resource or data
 * source that may be declared in a file not given), never a crash.
 */

export interface Reason {
  /**
   * RF913: names nothing that can exist; RF903: a resource, data source or module the files given do not hold;
   * RF906: known only at apply; RF914: a module call and its module disagree; RF915: a module not followed (cycle, bounds);
   * RF916: a provider configuration that is not declared.
   */
  code: 'RF903' | 'RF906' | 'RF913' | 'RF914' | 'RF915' | 'RF916';
  message: string;
  at: Position;
  fix?: string;
  /** The value is an evaluation error (a function failing on known arguments), which try() passes over. */
  failed?: true;
  /** A template whose `%{if}` or `%{for}` is over a value not known here: its text, not only a value in it, is unknown. */
  directive?: true;
}

/** A value known only after apply, or not at all (a broken reference). */
export class Unknown {
  readonly render: string;
  readonly reason: Reason;
  constructor(render: string, reason: Reason) {
    this.render = render;
    this.reason = reason;
  }
}

export type Value = null | boolean | number | string | Value[] | { [k: string]: Value } | Unknown;

export class EvalError extends Error {}

const BUSY = Symbol('busy');
/** A text known in part: literal text outside its `${…}` parts (one whole `${…}` expression is not). */
/**
 * A value only apply knows as the user wrote it, for a finding's `received`: inside a module the
 * symbol of an expression carries the module's address (sym), which is no part of what is written.
 * Only where the address stands before an expression that is no reference (a function call such as
 * `jsonencode({…})`, a literal, a parenthesis) is it taken off: there `module.iam.jsonencode(…)`
 * reads as nothing the user could have written, while `module.iam.aws_s3_bucket.b.arn` still names
 * the attribute's address. A root folder before it (several roots given together) goes with it.
 */
export function writtenExpression(render: string): string {
  return render.replace(/\$\{(?:[^${}"\s]*\/)?(?:module\.[A-Za-z_][\w-]*(?:\[[^\]]*\])?\.)+(?=[A-Za-z_][\w-]*\(|[{[("\d!-])/g, '${');
}

function partText(render: string): boolean {
  return !(render.startsWith('${') && render.endsWith('}')) && render.includes('${');
}
/** The domain of a partition's endpoints (data.aws_partition's dns_suffix; AWS General Reference, service endpoints). */
const DNS_SUFFIXES: Readonly<Record<string, string>> = { aws: 'amazonaws.com', 'aws-us-gov': 'amazonaws.com', 'aws-cn': 'amazonaws.com.cn' };
/** Files the hashicorp/local provider writes: their `content` and `filename` are what is written (instanceAttr). */
const LOCAL_FILES: ReadonlySet<string> = new Set(['local_file', 'local_sensitive_file']);
/**
 * The most one template renders: as many characters as the largest file the doctor reads (10 MiB,
 * read.ts MAX_FILE_BYTES), and as many `%{for}` iterations, all loops of the template together (a
 * loop in a loop runs per pair: the count keeps the work bounded by what the doctor reads).
 */
export const MAX_TEMPLATE_TEXT = 10 * 1024 * 1024;
export const MAX_TEMPLATE_ITERATIONS = 1_000_000;

/** The state of one template's rendering: its text in parts, known and as `.tf.json` writes it. */
interface TemplateRun {
  out: string[];
  partial: string[];
  size: number;
  iterations: number;
  /** How many directives not known here the rendering is inside. */
  speculative: number;
  /** The first part only apply knows. */
  unknown?: Unknown;
  /** Why the first directive not known here is not (Reason.directive). */
  directive?: Reason;
  /** Why the rendering stopped (Terraform refuses the template, or it is past the caps). */
  stop?: Unknown;
  /** The template, where the text cap is said. */
  at: Expr;
}

/** A value in a message: its kind and, for a scalar, the value. */
function describeValue(v: Value): string {
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'boolean') return `the bool ${v}`;
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : 'an object';
}

/** A bare reference (`${type.name.attr}`, `${local.x}`): the form the IAM evaluator accepts as a symbol. */
const BARE_SYMBOL = /^\$\{(local\.[A-Za-z_][A-Za-z0-9_-]*|[a-z][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_-]*\.[a-z_]+)\}$/;
const MAX_REFERENCE_DEPTH = 100;
/** Every bare reference in a text. */
const BARE_SYMBOLS = /\$\{(?:local\.[A-Za-z_][A-Za-z0-9_-]*|[a-z][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_-]*\.[a-z_]+)\}/g;
/** kubernetes provider resources (without their `_v1` suffix) whose objects have no namespace. */
const CLUSTER_SCOPED_KUBERNETES = new Set(['kubernetes_namespace', 'kubernetes_cluster_role', 'kubernetes_cluster_role_binding', 'kubernetes_storage_class', 'kubernetes_persistent_volume', 'kubernetes_priority_class', 'kubernetes_mutating_webhook_configuration', 'kubernetes_validating_webhook_configuration', 'kubernetes_csi_driver', 'kubernetes_runtime_class', 'kubernetes_api_service', 'kubernetes_certificate_signing_request']);

/**
 * The argument an attribute of a resource is, where the provider documents its `id` as one of its
 * arguments (terraform-provider-aws: an IAM role's, instance profile's and SSM parameter's `id` is its
 * name, an S3 bucket's its bucket name); else the attribute itself.
 */
const ID_IS: Readonly<Record<string, string>> = { aws_iam_role: 'name', aws_iam_instance_profile: 'name', aws_ssm_parameter: 'name', aws_s3_bucket: 'bucket' };
function writtenAs(type: string, attr: string): string {
  return attr === 'id' && Object.hasOwn(ID_IS, type) ? ID_IS[type]! : attr;
}

/** A value used as a key or a name: strings as they are, anything else as JSON. */
function keyString(v: Value): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v instanceof Unknown ? v.render : v);
}

type RefData =
  | { ref: 'local' | 'var' | 'data' | 'module' | 'opaque'; name: string }
  /** A module call with count or for_each (`module.x`), and one instance of a call (`module.x["k"]`, `module.y`). */
  | { ref: 'calls'; name: string; instances: Map<string, ModuleEvaluator> }
  | { ref: 'call'; ev: ModuleEvaluator }
  | { ref: 'type'; mode: 'resource' | 'data'; type: string }
  | { ref: 'res'; block: ConfigBlock }
  | { ref: 'inst'; block: ConfigBlock; inst: Instance }
  /** A nested block (or an object attribute) of a resource as written, read step by step (`metadata[0].name`). */
  | { ref: 'nested'; address: string; value: Value };
/** A reference that is not a value yet (`local`, `aws_iam_role`, `aws_iam_role.x`). */
class Ref {
  readonly r: RefData;
  constructor(r: RefData) {
    this.r = r;
  }
}
type V = Value | Ref;

export interface Instance {
  /** `name`, `name["key"]` or `name[0]`. */
  name: string;
  each?: { key: string; value: Value };
  index?: number;
}

export interface Env {
  loc: Loc;
  vars: Map<string, Value>;
  each?: { key: string; value: Value };
  index?: number;
}

const META = new Set(['count', 'for_each']);
const META_BLOCKS = new Set(['lifecycle', 'provisioner', 'connection']);

const isRef = (v: V): v is Ref => v instanceof Ref;

/** The environment an instance's arguments are evaluated in: its `each` (for_each) or `count.index`. */
export function instanceEnv(loc: Loc, inst: Instance): Env {
  return { loc, vars: new Map(), ...(inst.each ? { each: inst.each } : {}), ...(inst.index !== undefined ? { index: inst.index } : {}) };
}

/**
 * A resource or data source instance used as a whole value: a module argument (`token = aws_secretsmanager_secret.token`)
 * or an output (`value = aws_s3_bucket.cache`). As a value it is unknown (the doctor keeps no object of
 * every attribute), but an attribute read through it (`var.token.arn`, `module.cache.bucket.bucket`) is that
 * instance's attribute, read by the module that declares it, as Terraform's object gives it.
 */
class WholeInstance extends Unknown {
  readonly owner: ModuleEvaluator;
  readonly block: ConfigBlock;
  readonly inst: Instance;
  constructor(u: Unknown, owner: ModuleEvaluator, block: ConfigBlock, inst: Instance) {
    super(u.render, u.reason);
    this.owner = owner;
    this.block = block;
    this.inst = inst;
  }
}
const isObj = (v: Value): v is { [k: string]: Value } => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Unknown);

/** Whether a value holds an Unknown anywhere; returns the first. */
/** The ARN or id of a KMS key of the root module, only apply knows (`${aws_kms_key.x.arn}`), maybe inside a template. */
const KEY_REFERENCE = /\$\{aws_kms_key\.[A-Za-z0-9_-]+\.(?:arn|key_id|id)\}/g;

/**
 * A value whose only unknowns are texts known up to references to KMS keys (an ARN, a key id in
 * a template): the same value with those texts in place; undefined when another unknown is in it.
 */
function inlineKeyReferences(v: Value, symbols = false): Exclude<Value, Unknown> | undefined {
  if (v instanceof Unknown) {
    if (v.reason.code !== 'RF906') return undefined;
    let rest = v.render.replace(KEY_REFERENCE, '');
    // With `symbols`, bare references too (an OIDC provider's host path, `${local.x}`): the IAM grammar then
    // admits them only where an issuer goes (Federated principals, condition keys) and refuses the rest.
    if (symbols) rest = rest.replace(BARE_SYMBOLS, '');
    return rest !== v.render && !rest.includes('${') && !rest.includes('%{') ? v.render : undefined;
  }
  if (Array.isArray(v)) {
    const out: Exclude<Value, Unknown>[] = [];
    for (const x of v) {
      const y = inlineKeyReferences(x, symbols);
      if (y === undefined) return undefined;
      out.push(y);
    }
    return out;
  }
  if (isObj(v)) {
    const out: Record<string, Value> = {};
    for (const [k, x] of Object.entries(v)) {
      const y = inlineKeyReferences(x, symbols);
      if (y === undefined) return undefined;
      setOwn(out, k, y);
    }
    return out;
  }
  return v;
}

/**
 * What keeps a for_each collection from being expanded: Terraform needs its keys, not its values. A
 * map's keys are its own (values only apply knows stay unknown in `each.value`); a set's keys are its
 * elements; a list iterated by a dynamic block (`byIndex`) is keyed by index, else by its elements.
 */
function unknownKey(v: Value, byIndex: boolean): Unknown | undefined {
  if (v instanceof Unknown) return v;
  if (Array.isArray(v) && (isSet(v) || !byIndex)) return firstUnknown(v);
  return undefined;
}

export function firstUnknown(v: Value): Unknown | undefined {
  if (v instanceof Unknown) return v;
  if (Array.isArray(v)) {
    for (const x of v) {
      const u = firstUnknown(x);
      if (u) return u;
    }
  } else if (isObj(v)) {
    for (const x of Object.values(v)) {
      const u = firstUnknown(x);
      if (u) return u;
    }
  }
  return undefined;
}

/** The `.tf.json` form of a value: unknowns become their `${…}` text. */
export function toModel(v: Value): unknown {
  if (v instanceof Unknown) return v.render;
  if (Array.isArray(v)) return v.map(toModel);
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toModel(x)]));
  return v;
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

export function nearest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const score = c.startsWith(name) || name.startsWith(c) ? Math.abs(c.length - name.length) * 0.5 : distance(name, c);
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best !== undefined && bestScore <= Math.max(3, name.length / 2) ? best : undefined;
}

const fmt = (p: Position) => `${p.file}:${p.line}:${p.column}`;

/** A reason whose position is computed when first read (locating can re-read the whole file). */
function lazyReason(code: Reason['code'], message: string, pos: () => Position, fix?: string): Reason {
  let at: Position | undefined;
  return {
    code,
    message,
    get at(): Position {
      return (at ??= pos());
    },
    ...(fix !== undefined ? { fix } : {}),
  };
}

/** The same reason with another message; the position stays lazy. */
function reworded(r: Reason, message: string): Reason {
  return lazyReason(r.code, message, () => r.at, r.fix);
}

/** A file path in one spelling: `/` separators, no `.` segments, `x/..` folded. */
export function normalPath(p: string): string {
  const out: string[] = [];
  for (const seg of p.split(/[\\/]+/)) {
    if (seg === '.' || (seg === '' && out.length > 0)) continue;
    if (seg === '..' && out.length > 0 && out[out.length - 1] !== '..' && out[out.length - 1] !== '') out.pop();
    else out.push(seg);
  }
  return out.join('/');
}

export interface EvalHooks {
  /** `aws_iam_policy_document` rendered to JSON; undefined when not static. */
  renderPolicy(body: Record<string, unknown>, symbols?: boolean): unknown;
  /** The configuration of a local module (`source = "./…"`) called from `dir`, or why it is not read. */
  module?(dir: string, source: string): ConfigModule | { code: 'RF903' | 'RF915'; why: string; fix: string } | undefined;
  /** A stand-in for a public registry module the doctor knows (`src/doctor/hcl/registry-modules.ts`), built for one call; `{ why }` when the call is outside what it models. */
  registryModule?(source: string, call: ConfigModuleCall, dir: string): ConfigModule | { why: string } | undefined;
  /**
   * The copy of a registry or git module `terraform init` installed for root folder `root`, for the
   * call whose key is `keys` (the names of the calls from the root); `{ why }` when the root has a
   * manifest but not this call's copy; undefined when it has none.
   */
  installedModule?(root: string, keys: readonly string[], source: string): ConfigModule | { why: string } | undefined;
  /**
   * For a registry address called from `dir` that may be the module of the repository the files
   * come from (read.ts ownModuleHint): why, and the local source that reads the files given.
   */
  ownModule?(dir: string, source: string): { why: string; local: string } | undefined;
  /**
   * The text of a file given, for `file()` and `templatefile()`, by the path the evaluator resolved
   * (relative paths from the module's folder); undefined: not in the evidence given. Without this
   * hook the two functions are not evaluated.
   */
  file?(path: string): string | undefined;
  /** A template file (templatefile(), data "template_file" with file()) rendered with these variables. */
  templateRendered?(path: string, vars: Readonly<Record<string, Value>>): void;
}

/** Where a module instance sits in the tree of calls, and what its caller gave it. */
export interface ModuleScope {
  /** `module.a`, `module.a["k"].module.b`; '' for a root module. */
  address: string;
  /** Folders of the calls from the root to this module (a cycle is a folder met twice). */
  chain: string[];
  /** The names of the module calls from the root to this module (its key in `terraform init`'s manifest). */
  keys?: readonly string[];
  /** The call's arguments, evaluated in the caller when first read. */
  args: Map<string, () => Value>;
  /** Where the caller's argument of a variable is written (ValuePlace), as the caller resolved it; undefined for a value not written as one string. */
  argPlaces?: Map<string, () => ValuePlace | undefined>;
  /** Required variables the call does not set: the reason (RF914, reported at the call). */
  missing: Map<string, Reason>;
  /** The caller's argument positions and values (for findings that show both ends). */
  call?: ModuleCallSite;
  /** Module instances made so far in this tree, bounded. */
  budget: { instances: number };
  /** Provider configurations the module sees, by its local name (`aws`, `aws.prod`); a root reads its own blocks. */
  providers?: Map<string, ProviderRef>;
  broken: Map<string, Reason>;
  rendered: Map<string, ConfigBlock>;
  /** The bare symbol standing for an OIDC issuer URL only apply knows, without its https:// (by the URL's rendering): one per URL in the tree. */
  hostPaths?: Map<string, string>;
  /**
   * How findings show each of those symbols (`${local.oidc_issuer_host_path}`, a name the user never wrote): the
   * expression the user wrote that strips the URL (`written`), else the URL's own expression without its https://.
   */
  hostPathsShown?: Map<string, { text: string; written: boolean }>;
  /** Set once a value of the deployment's own, unstated account was read (OWN_ACCOUNT): the intent's account must then be it. */
  ownAccount?: { read: boolean };
  /**
   * A root that declares an address another root given in the same call declares too (`prod/` and
   * `staging/` both with `aws_iam_role.manager`): the mark its resource, data source and module call
   * names carry in the evidence's keys and symbols (`aws_iam_role.manager<mark>`), so each root's
   * references resolve to its own resources. Findings show it as the root's folder (MARKED_ADDRESS).
   */
  rootMark?: string;
  /**
   * One of several Terraform roots given in one call, marked or not: the scope its `var.*` and
   * `local.*` symbols (values only apply knows) carry (`${var.x__rfin<i>}`), since each root has
   * its own variables (its own tfvars): `var.x` of prod/ and of staging/, or of iam/ and runner/,
   * are two values, never assumed equal. Findings show the name as written (SCOPED_SYMBOL).
   */
  rootScope?: string;
  /**
   * A root that is evidently a reusable module nobody given calls (a folder right under a `modules/`
   * folder, with no variable definitions file: read.ts uncalledModule): what it says of itself. A
   * reference broken only by its variables' defaults is then not shown (RF903), not an error.
   */
  uncalledModule?: string;
}

/** The scope of the i-th root of a call of several roots: `__rfin<i>`, a name part no message shows (doctor/index.ts). */
export const rootScope = (i: number): string => `__rfin${i}`;
/** A `var.*` or `local.*` name of a root of several, scoped (ModuleScope.rootScope): the name as written is the first group. */
export const SCOPED_SYMBOL = /\b((?:var|local)\.[A-Za-z_][A-Za-z0-9_-]*?)__rfin\d+\b/g;
/** References to a root's own variables and locals in written text. */
const ROOT_VALUE_REFERENCE = /(?<![\w.$-])(?:var|local)\.[A-Za-z_][A-Za-z0-9_-]*/g;

/** The mark of the i-th root of a call whose roots share addresses: `__rfroot<i>`, a name part no message shows (doctor/index.ts). */
export const rootMark = (i: number): string => `__rfroot${i}`;
/** A name of a marked root with what precedes it (`aws_iam_role.manager__rfroot1`, `module.irsa__rfroot1`): the head, the name, the root's index. */
export const MARKED_ADDRESS = /\b((?:data\.)?[a-z][a-z0-9_]*\.)?([A-Za-z_][A-Za-z0-9_-]*?)__rfroot(\d+)\b/g;

/**
 * The account of a deployment whose default aws provider states none: not known, but one account,
 * the one its roles live in. The doctor names it with the account it gives roles whose account is
 * not known (doctor/infer.ts), so the proofs compare the two as one account.
 */
export const OWN_ACCOUNT = '000000000000';

// The account a provider configuration states: the proofs read it too (verify/aws-docs.ts).
export { providerAccount };

/** A provider configuration as the root module declares it. */
export interface ProviderRef {
  /** Its name in the root module (`aws`, `aws.prod`). */
  name: string;
  /** Its evaluated settings (values only apply knows left out); undefined for the implied empty default. */
  body?: Record<string, unknown>;
}

export interface ModuleCallSite {
  address: string;
  source: string;
  at: Position;
  /** Each argument: where its value is written, the value, and where a part of it is (object keys, list indexes; as far as the syntax shows it). */
  args: Map<string, { at: Position; value: () => Value; partAt: (path: readonly (string | number)[]) => Position }>;
  /** A registry module read as its documentation says (registry-modules.ts): what it creates has no line of its own, only the call's. */
  standIn?: true;
}

/**
 * Where a string the evaluator resolved is written, kept as it resolves it (ModuleEvaluator.placeOf):
 * `literal`, at the argument read itself; `local`, a local value; `default`, a variable's default;
 * `tfvars`, a variable definitions file Terraform loads itself; `argument`, a module call's argument
 * (the caller's literal). `name` is how a finding names the place (`local.ns`, `var.ns`,
 * `module.runners`'s argument); `at` its position, computed when asked.
 */
export interface ValuePlace {
  kind: 'literal' | 'local' | 'default' | 'tfvars' | 'argument';
  name: string;
  at: () => Position;
}

/** The part of a written value at `path` (object keys, tuple indexes), as far as the syntax shows it. */
function exprPart(expr: Expr, path: readonly (string | number)[]): Expr {
  let e = expr;
  for (const k of path) {
    while (e.k === 'paren') e = e.x;
    const item = e.k === 'tuple' && typeof k === 'number' ? e.items[k] : e.k === 'object' ? e.items.find((i) => (i.key.k === 'var' ? i.key.name : literalString(i.key)) === String(k))?.value : undefined;
    if (!item) break;
    e = item;
  }
  return e;
}

/** Module calls nest at most this deep, and a tree of calls makes at most this many instances. */
export const MAX_MODULE_DEPTH = 16;
export const MAX_MODULE_INSTANCES = 2_000;
/** Arguments of a module block that are not input variables. */

/** An IAM path as written (`path`, default "/"): it begins and ends with a slash (IAM API, CreateRole `Path`). */
function iamPath(body: Record<string, Value>): string | undefined {
  const path = body.path ?? '/';
  return typeof path === 'string' && /^\/(?:[\x21-\x7e]*\/)?$/.test(path) ? path : undefined;
}

/**
 * Resources whose ARN is fully determined by literal arguments (IAM User Guide, "IAM identifiers",
 * ARNs; the service authorization reference's resource types for ECS and Systems Manager):
 * `attr` of the resource is `arn:<partition>:<service>:<region, or none>:<account>:<resource>`.
 * An S3 bucket's ARN names no account and is read above; a task definition's `arn` carries a
 * revision only apply knows, so only `arn_without_revision` is derived.
 *
 * Only a cluster's ARN is derived wherever it is named (`everywhere`); the others only inside a
 * policy document (jsonencode(), data "aws_iam_policy_document"), where a reference only apply
 * knows would leave the whole policy unread. Elsewhere the readers follow the reference itself
 * (a service account's role-arn annotation, a task definition's task_role_arn, a policy
 * attachment's policy_arn), which names the resource and no account.
 */
const DERIVED_ARNS: Record<string, { attr: string; name: string; service: string; regional: boolean; everywhere?: true; resource: (name: string, body: Record<string, Value>) => string | undefined }> = {
  aws_ecs_cluster: { attr: 'arn', name: 'name', service: 'ecs', regional: true, everywhere: true, resource: (n) => `cluster/${n}` },
  aws_ecs_task_definition: { attr: 'arn_without_revision', name: 'family', service: 'ecs', regional: true, resource: (n) => `task-definition/${n}` },
  aws_iam_role: { attr: 'arn', name: 'name', service: 'iam', regional: false, resource: (n, b) => (iamPath(b) !== undefined ? `role${iamPath(b)!}${n}` : undefined) },
  aws_iam_policy: { attr: 'arn', name: 'name', service: 'iam', regional: false, resource: (n, b) => (iamPath(b) !== undefined ? `policy${iamPath(b)!}${n}` : undefined) },
  // A parameter's ARN is `parameter/` and its name without the leading slash a hierarchical name has.
  // A name with a slash is a hierarchy and must begin with one (Systems Manager, "Parameter naming").
  aws_ssm_parameter: { attr: 'arn', name: 'name', service: 'ssm', regional: true, resource: (n) => (n.includes('/') && !n.startsWith('/') ? undefined : `parameter/${n.replace(/^\//, '')}`) },
  // An Auto Scaling group's ARN carries a UUID only apply knows (autoScalingGroup:<uuid>:autoScalingGroupName/<name>);
  // a group's name is unique in its account and region, so in a policy the ARN with `*` for the UUID names that one
  // group, as the fleeting plugin's docs and runner-fleet's own policies write it.
  aws_autoscaling_group: { attr: 'arn', name: 'name', service: 'autoscaling', regional: true, resource: (n) => `autoScalingGroup:*:autoScalingGroupName/${n}` },
};

/**
 * Arguments that are IAM policy documents (JSON text), by resource type and nested block
 * (terraform-provider-aws: `policy`, `assume_role_policy`, an inline_policy block's `policy`). A
 * heredoc or quoted string there is a policy as much as jsonencode() is: ARNs AWS derives from
 * names (DERIVED_ARNS) are known inside it.
 */
const POLICY_ARGUMENTS: Readonly<Record<string, readonly string[]>> = {
  aws_iam_role: ['assume_role_policy'],
  'aws_iam_role.inline_policy': ['policy'],
  aws_iam_role_policy: ['policy'],
  aws_iam_policy: ['policy'],
  aws_iam_user_policy: ['policy'],
  aws_iam_group_policy: ['policy'],
  aws_s3_bucket_policy: ['policy'],
  aws_kms_key: ['policy'],
  aws_kms_key_policy: ['policy'],
  aws_ecr_repository_policy: ['policy'],
  aws_ssm_resource_policy: ['policy'],
  aws_secretsmanager_secret_policy: ['policy'],
};
const isPolicyArgument = (within: string | undefined, attr: string): boolean => within !== undefined && Object.hasOwn(POLICY_ARGUMENTS, within) && POLICY_ARGUMENTS[within]!.includes(attr);

/** The count or for_each of a block or module call, and its name: what its instances come from. */
function countOf(attrs: readonly { name: string; expr: Expr }[] | undefined): [Expr | undefined, string] {
  const a = attrs?.find((x) => x.name === 'count' || x.name === 'for_each');
  return [a?.expr, `its ${a?.name ?? 'count'}`];
}

/** The variables and locals an expression names as written (`var.x`, `local.y`), into `out`. */
function namedValues(x: unknown, out: { vars: Set<string>; locals: Set<string> }): void {
  if (x === null || typeof x !== 'object') return;
  if (Array.isArray(x)) {
    for (const item of x) namedValues(item, out);
    return;
  }
  const node = x as { k?: unknown; obj?: { k?: unknown; name?: unknown }; name?: unknown };
  if (node.k === 'attr' && node.obj?.k === 'var' && (node.obj.name === 'var' || node.obj.name === 'local') && typeof node.name === 'string') {
    (node.obj.name === 'var' ? out.vars : out.locals).add(node.name);
    return;
  }
  for (const v of Object.values(x)) namedValues(v, out);
}

export class ModuleEvaluator {
  readonly mod: ConfigModule;
  readonly hooks: EvalHooks;
  /** Broken references, once per position (shared by every module instance of one tree of calls). */
  readonly broken: Map<string, Reason>;
  /** Policy documents rendered from data sources, by their JSON: where a role's trust was written. */
  readonly rendered: Map<string, ConfigBlock>;
  readonly scope: ModuleScope;
  readonly #calls = new Map<string, Map<string, ModuleEvaluator> | Unknown>();
  readonly #args = new Map<string, Value>();
  readonly #outputs = new Map<string, Value | typeof BUSY>();
  readonly #policyOutputs = new Map<string, Value | typeof BUSY>();
  #providers?: Map<string, ProviderRef>;
  readonly #locals = new Map<string, Value | typeof BUSY>();
  readonly #policyLocals = new Map<string, Value | typeof BUSY>();
  /** Where each local and variable that resolved to a string is written, as it resolved (placeOf). */
  readonly #localPlaces = new Map<string, ValuePlace | undefined>();
  readonly #varPlaces = new Map<string, () => ValuePlace | undefined>();
  readonly #instances = new Map<ConfigBlock, Instance[] | Unknown | typeof BUSY>();
  readonly #attrs = new Map<string, Value | typeof BUSY>();
  readonly #blocks = new Map<string, ConfigBlock>();
  /** References being followed right now (local → local → resource …), bounded so hostile input cannot exhaust the stack. */
  #depth = 0;

  /**
   * A root's evaluator: `scope` undefined. `call` holds what the roots of one call share: their mark
   * (ModuleScope.rootMark) and the issuer host-path symbols, so two roots' issuers only apply knows
   * (each written its own way) are two symbols.
   */
  constructor(mod: ConfigModule, hooks: EvalHooks, scope?: ModuleScope, call?: { mark?: string; rootScope?: string; uncalledModule?: string; hostPaths?: Map<string, string>; hostPathsShown?: Map<string, { text: string; written: boolean }> }) {
    this.mod = mod;
    this.hooks = hooks;
    this.scope = scope ?? { address: '', chain: [mod.dir], args: new Map(), missing: new Map(), budget: { instances: 0 }, broken: new Map(), rendered: new Map(), ownAccount: { read: false }, hostPaths: call?.hostPaths ?? new Map(), hostPathsShown: call?.hostPathsShown ?? new Map(), ...(call?.mark !== undefined ? { rootMark: call.mark } : {}), ...(call?.rootScope !== undefined ? { rootScope: call.rootScope } : {}), ...(call?.uncalledModule !== undefined ? { uncalledModule: call.uncalledModule } : {}) };
    this.broken = this.scope.broken;
    this.rendered = this.scope.rendered;
    for (const b of mod.blocks) this.#blocks.set(`${b.mode === 'data' ? 'data.' : ''}${b.type}.${b.name}`, b);
  }

  unknown(e: Expr, env: Env, code: Reason['code'], message: string, fix?: string): Unknown {
    // Most unknowns (an ARN known after apply) never become a finding: their position is computed on first use.
    const loc = env.loc;
    const reason = lazyReason(code, message, () => loc.pos(e.at), fix);
    if (code !== 'RF906') this.report(reason);
    return new Unknown(this.sym(env.loc.text.slice(e.at, e.end)), reason);
  }

  /**
   * A reference that names nothing (RF913) in a value some of whose variables take their default:
   * the message says which defaults, since a caller or a variable definitions file not given may
   * set them. In a folder that is evidently a module nobody given calls (ModuleScope.uncalledModule)
   * such a reference is not an error of a deployment: what it reads depends on what a caller
   * passes, so it is not shown (RF903). `from`: the expression (or count / for_each) the broken
   * value is computed from; `noun`: what it is, for the message.
   */
  #broken(e: Expr, env: Env, message: string, fix: string | undefined, from: Expr | undefined, noun: string): Unknown {
    // Inside try() or can() the error is caught (Terraform's try: a key, index or instance that is not
    // there is an error of the value, which it passes over): nothing to say, and try() takes the next argument.
    if (this.#guarded > 0) return new Unknown(this.sym(env.loc.text.slice(e.at, e.end)), lazyReason('RF913', message, () => env.loc.pos(e.at), fix));
    const d = from !== undefined ? this.#defaultsBehind(from) : undefined;
    if (d === undefined) return this.unknown(e, env, 'RF913', message, fix);
    const vars = d.defaulted.map((v) => `variable ${v.name}'s default \`${v.shown}\``);
    const list = vars.length === 1 ? vars[0]! : `${vars.slice(0, -1).join(', ')} and ${vars[vars.length - 1]!}`;
    const them = d.defaulted.length === 1 ? 'it' : 'them';
    const why = `${noun} ${d.only ? 'comes from' : 'depends on'} ${list}`;
    const uncalled = this.scope.address === '' ? this.scope.uncalledModule : undefined;
    if (uncalled !== undefined) {
      const u = this.unknown(e, env, 'RF903', `not shown: ${message}, but ${why}, and ${uncalled}: the folder is read with its variables' defaults, so whether the reference holds depends on what a caller passes`, `give the configuration that calls ${this.mod.dir} too (the doctor then reads it with the values the call passes), or, if ${this.mod.dir} is applied on its own, give its terraform.tfvars`);
      // As the error it stands for, try() and can() pass over it.
      u.reason.failed = true;
      return u;
    }
    const who = this.scope.address === '' ? `no variable definitions file or caller in the files given sets ${them}` : `the call ${this.scope.address} does not set ${them}`;
    return this.unknown(e, env, 'RF913', `${message}; ${why}; ${who}`, fix);
  }

  /**
   * The variables of this module instance that `x` reads (directly or through locals, as written)
   * and that take their default here: in a root, no variable definitions file given sets them; in a
   * called module, its call does not. `only`: every variable `x` reads takes its default. Undefined
   * when none does.
   */
  #defaultsBehind(x: Expr): { defaulted: { name: string; shown: string }[]; only: boolean } | undefined {
    const names = { vars: new Set<string>(), locals: new Set<string>() };
    namedValues(x, names);
    for (const seen = new Set<string>(); seen.size < names.locals.size; ) {
      for (const l of [...names.locals]) {
        if (seen.has(l)) continue;
        seen.add(l);
        const local = this.mod.locals.get(l);
        if (local) namedValues(local.expr, names);
      }
    }
    const defaulted: { name: string; shown: string }[] = [];
    let only = true;
    for (const name of [...names.vars].sort()) {
      const decl = this.mod.variables.get(name);
      if (!decl) continue;
      const files = this.mod.varFiles;
      const given = this.scope.address !== '' ? this.scope.args.has(name) || this.scope.missing.has(name) : files !== undefined && (files.loaded.has(name) || (files.optional.get(name) ?? []).length > 0 || (files.unreadable ?? []).length > 0);
      if (given || decl.default === undefined) {
        only = false;
        continue;
      }
      let shown: string;
      try {
        const v = this.typed(decl, this.value(decl.default, { loc: decl.loc, vars: new Map() }));
        shown = v instanceof Unknown ? v.render : JSON.stringify(v);
      } catch (err) {
        if (!(err instanceof EvalError)) throw err;
        shown = '…';
      }
      defaulted.push({ name, shown: shown.length > 60 ? `${shown.slice(0, 60)}…` : shown });
    }
    return defaulted.length > 0 ? { defaulted, only } : undefined;
  }

  /** A finding about the configuration, once per position. */
  report(reason: Reason): void {
    // Two required variables a call does not set are two findings at the one call.
    const k = reason.code === 'RF914' ? `${fmt(reason.at)} ${reason.message}` : fmt(reason.at);
    if (!this.broken.has(k)) this.broken.set(k, reason);
  }

  /**
   * The `${…}` text of a value only apply knows. Inside a module the text is prefixed with the
   * module's address, so `aws_iam_role.this.arn` of two modules (or of a module and its caller)
   * stay two symbols and never resolve to a resource of the root.
   */
  sym(text: string): string {
    if (this.scope.address !== '') return `\${${this.scope.address}.${text}}`;
    const mark = this.scope.rootMark;
    const marked = mark !== undefined ? this.#marked(text, mark) : text;
    const own = this.scope.rootScope;
    return `\${${own !== undefined ? marked.replace(ROOT_VALUE_REFERENCE, (m) => `${m}${own}`) : marked}}`;
  }

  /** The name of a resource, data source or module call of this (marked) root as its evidence key carries it. */
  markedName(name: string): string {
    return this.scope.address === '' && this.scope.rootMark !== undefined ? `${name}${this.scope.rootMark}` : name;
  }

  /** Written text with the references to this root's own blocks and module calls marked (ModuleScope.rootMark). */
  #marked(text: string, mark: string): string {
    return text.replace(/(?<![\w.$-])(data\.)?([a-z][a-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_-]*)/g, (m, data: string | undefined, type: string, name: string) =>
      (type === 'module' ? data === undefined && this.mod.modules.has(name) : this.#blocks.has(`${data ?? ''}${type}.${name}`)) ? `${m}${mark}` : m,
    );
  }

  /**
   * The host path of an issuer URL (the URL without https://): the text itself where known, else one bare symbol per
   * URL (`${local.oidc_issuer_host_path}`), the same wherever that URL is stripped or an OIDC provider of it is named.
   */
  hostPath(url: Value): Value {
    if (typeof url === 'string') return url.replace(/^https:\/\//, '');
    if (!(url instanceof Unknown) || !this.scope.hostPaths) return url;
    let name = this.scope.hostPaths.get(url.render);
    if (name === undefined) {
      const taken = new Set(this.scope.hostPaths.values());
      // A marked root's symbols carry its mark: two roots' issuers only apply knows are two issuers.
      const mark = this.scope.rootMark ?? '';
      for (let i = 1; name === undefined || taken.has(name) || this.mod.locals.has(name); i++) name = i === 1 ? `oidc_issuer_host_path${mark}` : `oidc_issuer_host_path_${i}${mark}`;
      this.scope.hostPaths.set(url.render, name);
      const written = /^\$\{(.*)\}$/s.exec(url.render)?.[1] ?? JSON.stringify(url.render);
      this.scope.hostPathsShown?.set(`\${local.${name}}`, { text: `\${replace(${written}, "https://", "")}`, written: false });
    }
    return new Unknown(`\${local.${name}}`, url.reason);
  }

  /** A host path symbol is shown as the expression `e` the user wrote for it, the first one met. */
  #shownAs(symbol: Unknown, e: Expr, env: Env): Unknown {
    // A stand-in's expressions are not the user's: the symbol keeps the URL it was made from.
    if (this.mod.standIn) return symbol;
    const shown = this.scope.hostPathsShown;
    const had = shown?.get(symbol.render);
    if (shown && BARE_SYMBOL.test(symbol.render) && !had?.written) shown.set(symbol.render, { text: this.sym(env.loc.text.slice(e.at, e.end)), written: true });
    return symbol;
  }

  /**
   * replace() over a text known up to bare references (an OIDC provider's ARN only apply knows,
   * `arn:aws:iam::<account>:oidc-provider/${local.host}`): terraform-aws-modules strips it to the
   * host path with replace(arn, "/^(.*provider/)/", ""). Where the result does not depend on what
   * the references stand for, it is the same text with them in place. That is checked by replacing
   * over two stand-ins for each (a character no text holds, and an EKS issuer's host path): both
   * must give one result. Undefined where they do not, or the text holds another unknown.
   */
  #replaceAroundSymbols(u: Unknown, sub: string, rep: string): Value | undefined {
    if (u.reason.code !== 'RF906' || /[\uE000-\uF8FF]/.test(u.render)) return undefined;
    const symbols = [...new Set([...u.render.matchAll(BARE_SYMBOLS)].map((m) => m[0]))];
    if (symbols.length === 0 || symbols.length > 16 || /[$%]\{/.test(u.render.replace(BARE_SYMBOLS, ''))) return undefined;
    const mark = (i: number) => String.fromCharCode(0xe000 + i);
    const sample = (i: number) => `oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDE${i.toString(16).toUpperCase()}`;
    const put = (text: string, as: (i: number) => string) => text.replace(BARE_SYMBOLS, (m) => as(symbols.indexOf(m)));
    let marked: string;
    let sampled: string;
    try {
      marked = replaceText(put(u.render, mark), sub, rep);
      sampled = replaceText(put(u.render, sample), sub, rep);
    } catch {
      return undefined;
    }
    const back = (text: string, as: (i: number) => string) => text.replace(/[\uE000-\uE00F]/g, (c) => as(c.charCodeAt(0) - 0xe000));
    if (back(marked, sample) !== sampled) return undefined;
    const out = back(marked, (i) => symbols[i]!);
    return out === marked ? out : new Unknown(out, u.reason);
  }

  /**
   * Whether a policy text names an issuer host path (hostPath) beside another bare reference or another host path: a Federated
   * principal `aws_iam_openid_connect_provider.x.arn` with condition keys over a local computed from it
   * some other way. The two may be one issuer or not; the files cannot show which, so the text is not proven.
   */
  mixesIssuers(text: string): boolean {
    const names = new Set(this.scope.hostPaths?.values() ?? []);
    if (names.size === 0) return false;
    const found = [...text.replace(KEY_REFERENCE, '').matchAll(BARE_SYMBOLS)].map((m) => m[0]);
    const own = found.filter((x) => names.has(x.slice('${local.'.length, -1)));
    // Two host paths (one cluster's URL written two ways, or two clusters) are as unprovable as one beside another reference.
    return own.length > 0 && (own.length < found.length || new Set(own).size > 1);
  }

  /** Propagates an unknown operand: the result renders as this expression's text. */
  /**
   * try(): the first argument that evaluates without an error, as Terraform's. An argument that
   * depends on a value only apply knows makes the result unknown until then (Terraform cannot tell
   * yet whether it will fail), so a later fallback is not taken for it: only an argument that is an
   * error (RF913: a key, index or attribute that names nothing; a function failing on known
   * arguments) is passed over.
   */
  private tryCall(e: Expr, env: Env, args: Value[]): Value {
    for (const a of args) {
      const u = firstUnknown(a);
      if (u === undefined) return a;
      if (a instanceof Unknown && (a.reason.code === 'RF913' || a.reason.failed === true)) continue;
      return this.carry(e, env, u);
    }
    return this.unknown(e, env, 'RF906', 'try() fails on these arguments: no argument could be evaluated');
  }

  /**
   * A name declared in none of the module's files that could be read, where one could not be (RF901):
   * it may be declared there, so what depends on it is not proven (RF903), not a broken reference.
   */
  notRead(e: Expr, env: Env, what: string): Unknown {
    // One finding per name, at the first reference evaluated, counting the others: a broken variables.tf
    // is one fix, not one finding per place its variables are used.
    const hit = this.#notRead.get(what);
    if (hit !== undefined) {
      hit.references++;
      return new Unknown(this.sym(env.loc.text.slice(e.at, e.end)), hit.reason);
    }
    const files = this.mod.unreadable!;
    const loc = env.loc;
    let at: Position | undefined;
    const entry: { references: number; reason: Reason } = {
      references: 1,
      reason: {
        code: 'RF903',
        get message() {
          return `${what} is declared in none of the files of this module that could be read; ${files[0]}${files.length > 1 ? ` and ${files.length - 1} more` : ''} could not be (not valid HCL, RF901), so what depends on it is not proven${entry.references > 1 ? ` (here and at ${entry.references - 1} more reference${entry.references > 2 ? 's' : ''} in this module)` : ''}`;
        },
        get at() {
          return (at ??= loc.pos(e.at));
        },
        fix: `fix the syntax of ${files[0]}`,
      },
    };
    this.#notRead.set(what, entry);
    this.report(entry.reason);
    return new Unknown(this.sym(env.loc.text.slice(e.at, e.end)), entry.reason);
  }
  readonly #notRead = new Map<string, { references: number; reason: Reason }>();

  carry(e: Expr, env: Env, u: Unknown): Unknown {
    return new Unknown(this.sym(env.loc.text.slice(e.at, e.end)), u.reason);
  }

  instances(block: ConfigBlock): Instance[] | Unknown {
    const hit = this.#instances.get(block);
    // Messages name the block by its Terraform address: in a module, with the call's
    // (`module.runners["x"].aws_iam_role.this`), which says whose count or for_each it is.
    const named = `${this.scope.address !== '' ? `${this.scope.address}.` : ''}${block.mode === 'data' ? 'data.' : ''}${block.type}.${block.name}`;
    if (hit === BUSY) return new Unknown(this.sym(`${block.type}.${block.name}`), { code: 'RF906', message: `${named} depends on itself`, at: block.loc.pos(block.at) });
    if (hit) return hit;
    this.#instances.set(block, BUSY);
    let out: Instance[] | Unknown = [{ name: block.name }];
    const fe = block.body.attrs.find((a) => a.name === 'for_each');
    const count = block.body.attrs.find((a) => a.name === 'count');
    if (fe) {
      const v = this.value(fe.expr, { loc: fe.loc, vars: new Map() });
      const u = unknownKey(v, false);
      if (u) out = new Unknown(this.sym(`${block.type}.${block.name}`), reworded(u.reason, `for_each of ${named} is not statically known: ${u.reason.message}`));
      else if (Array.isArray(v)) out = [...new Set(v.map(keyString))].sort().map((k) => ({ name: `${block.name}[${JSON.stringify(k)}]`, each: { key: k, value: k } }));
      else if (isObj(v)) out = Object.keys(v).sort().map((k) => ({ name: `${block.name}[${JSON.stringify(k)}]`, each: { key: k, value: v[k]! } }));
      else out = new Unknown(this.sym(`${block.type}.${block.name}`), { code: 'RF906', message: `for_each of ${named} is not a map or a set`, at: fe.loc.pos(fe.expr.at) });
    } else if (count) {
      // count takes a number, and Terraform converts a string of one to it as it converts any
      // argument (`count = "${var.n}"` with a string default "1", the 0.11 style: one instance).
      const v = convertTo(this.value(count.expr, { loc: count.loc, vars: new Map() }), NUMBER, () => null);
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 10_000) out = Array.from({ length: v }, (_, i) => ({ name: `${block.name}[${i}]`, index: i }));
      else out = new Unknown(this.sym(`${block.type}.${block.name}`), v instanceof Unknown ? reworded(v.reason, `count of ${named} is not statically known: ${v.reason.message}`) : { code: 'RF906', message: `count of ${named} is not a whole number`, at: count.loc.pos(count.expr.at) });
    }
    this.#instances.set(block, out);
    return out;
  }

  /** One instance's body in the `.tf.json` shape (nested blocks: an object, or a list when repeated). */
  body(block: ConfigBlock, inst: Instance): Record<string, Value> {
    // A block's values are the same wherever it is read from: inside a policy document only when it is one.
    const outer = this.#inPolicy;
    this.#inPolicy = block.mode === 'data' && block.type === 'aws_iam_policy_document';
    try {
      return this.#body(block.body, instanceEnv(block.loc, inst), `${block.mode}.${block.type}.${inst.name}`, block.mode === 'resource' ? block.type : undefined);
    } finally {
      this.#inPolicy = outer;
    }
  }

  /**
   * Whether what is evaluated now is inside a policy document (the arguments of jsonencode(), the
   * body of data "aws_iam_policy_document"): there ARNs AWS derives from names are known (DERIVED_ARNS).
   */
  #inPolicy = false;
  /** How many try() or can() calls the expression being evaluated is inside: errors there are caught, not findings. */
  #guarded = 0;

  /** `within`: the resource type (and nested block types, dotted) whose arguments these are, for POLICY_ARGUMENTS. */
  #body(body: ConfigBody, env: Env, key: string, within?: string): Record<string, Value> {
    const out: Record<string, Value> = {};
    for (const a of body.attrs) {
      if (META.has(a.name)) continue;
      if (a.name === 'depends_on' && a.expr.k === 'tuple') {
        // References to whole blocks, kept as written.
        out.depends_on = a.expr.items.map((x) => (x.k === 'lit' ? x.v : a.loc.text.slice(x.at, x.end)));
        continue;
      }
      if (a.name === 'provider') {
        // A provider reference (`kubernetes.devops`) names a provider configuration, not a value.
        out.provider = a.expr.k === 'lit' ? a.expr.v : a.loc.text.slice(a.expr.at, a.expr.end);
        continue;
      }
      setOwn(out, a.name, this.#attr(key, a.name, () => this.#argument(within, a.name, a.expr, { ...env, loc: a.loc })));
    }
    const groups = new Map<string, Value[]>();
    for (const b of body.blocks) {
      if (b.type === 'lifecycle') {
        // `ignore_changes = [value, tags]` names attributes (or the keyword `all`), not values: kept as
        // written, as `.tf.json` writes them (`"ignore_changes": ["value"]`).
        const ic = b.body.attrs.find((a) => a.name === 'ignore_changes');
        if (ic) {
          const names = ic.expr.k === 'tuple' ? ic.expr.items.map((x) => (x.k === 'lit' ? String(x.v) : ic.loc.text.slice(x.at, x.end))) : [ic.expr.k === 'lit' ? String(ic.expr.v) : ic.loc.text.slice(ic.expr.at, ic.expr.end)];
          setOwn(out, 'lifecycle', { ignore_changes: names.length === 1 && names[0] === 'all' ? 'all' : names });
        }
        continue;
      }
      if (META_BLOCKS.has(b.type)) continue;
      if (b.type === 'dynamic') {
        const label = b.labels[0] ?? 'dynamic';
        const list = groups.get(label) ?? [];
        groups.set(label, [...list, ...this.#dynamic(b, env, key, label, list.length, within !== undefined ? `${within}.${label}` : undefined)]);
        continue;
      }
      const list = groups.get(b.type) ?? [];
      // Each nested block has its own memo key: two `condition` blocks are two bodies.
      list.push(this.#body(b.body, { ...env, loc: b.loc }, `${key}.${b.type}[${list.length}]`, within !== undefined ? `${within}.${b.type}` : undefined));
      groups.set(b.type, list);
    }
    for (const [t, blocks] of groups) {
      // `.tf.json` writes static nested blocks as attributes: those of a dynamic block's label are kept, before the expanded ones.
      const before = Object.prototype.hasOwnProperty.call(out, t) ? out[t]! : undefined;
      const list = before === undefined ? blocks : [...(Array.isArray(before) ? before : [before]), ...blocks];
      setOwn(out, t, list.length === 1 && !(list[0] instanceof Unknown) ? list[0]! : list);
    }
    return out;
  }

  /**
   * `dynamic "<label>"` over a statically known collection: one `<label>` block per element, with
   * `<iterator>.key` (the index of a list, the key of a map, the element itself of a set) and `<iterator>.value`, as Terraform
   * expands it before plan. A collection only apply knows is not expanded (RF906).
   */
  #dynamic(b: ConfigBody['blocks'][number], env: Env, key: string, label: string, offset: number, within?: string): Value[] {
    const notExpanded = (message: string, reason?: Reason): Value[] => [new Unknown(`\${dynamic ${JSON.stringify(label)}}`, reason ? { ...reason, message: `${message}: ${reason.message}` } : { code: 'RF906', message, at: b.loc.pos(b.at), fix: 'write the blocks out, or give `terraform show -json` of a plan' })];
    const fe = b.body.attrs.find((a) => a.name === 'for_each');
    const content = b.body.blocks.filter((x) => x.type === 'content');
    if (!fe || content.length !== 1) return notExpanded(`dynamic "${label}" needs for_each and one content block`);
    const coll = this.value(fe.expr, { ...env, loc: fe.loc });
    const u = unknownKey(coll, true);
    if (u) return notExpanded(`for_each of dynamic "${label}" is not statically known`, u.reason);
    if (!Array.isArray(coll) && !isObj(coll)) return notExpanded(`for_each of dynamic "${label}" is not a collection`);
    const it = b.body.attrs.find((a) => a.name === 'iterator');
    const iterator = it?.expr.k === 'var' ? it.expr.name : label;
    const pairs = iterationPairs(coll);
    const c = content[0]!;
    return pairs.map(([k, v], i) => this.#body(c.body, { ...env, loc: c.loc, vars: new Map(env.vars).set(iterator, { key: k, value: v }) }, `${key}.${label}[${offset + i}]`, within));
  }

  /** An argument's value; a policy document argument (POLICY_ARGUMENTS) is evaluated as inside a policy. */
  #argument(within: string | undefined, name: string, e: Expr, env: Env): Value {
    if (!isPolicyArgument(within, name)) return this.value(e, env);
    const outer = this.#inPolicy;
    this.#inPolicy = true;
    try {
      return this.value(e, env);
    } finally {
      this.#inPolicy = outer;
    }
  }

  #attr(key: string, name: string, compute: () => Value): Value {
    const k = `${key}.${name}`;
    const hit = this.#attrs.get(k);
    if (hit === BUSY) throw new EvalError(`${key}.${name} depends on itself`);
    if (hit !== undefined) return hit;
    if (this.#depth >= MAX_REFERENCE_DEPTH) throw new EvalError(`${key}.${name} is reached through more than ${MAX_REFERENCE_DEPTH} references in a row`);
    this.#attrs.set(k, BUSY);
    this.#depth++;
    try {
      const v = compute();
      this.#attrs.set(k, v);
      return v;
    } finally {
      this.#depth--;
    }
  }

  value(e: Expr, env: Env): Value {
    const v = this.eval(e, env);
    // A nested block or object attribute as written is a value like any other.
    if (isRef(v) && v.r.ref === 'nested') return v.r.value;
    if (isRef(v) && v.r.ref === 'inst') return new WholeInstance(this.unknown(e, env, 'RF906', `${env.loc.text.slice(e.at, e.end)} is a whole ${v.r.block.mode === 'data' ? 'data source' : 'resource'}: the doctor reads its attributes, not the whole as one value`), this, v.r.block, v.r.inst);
    if (isRef(v) && v.r.ref === 'res') {
      // A resource of count or for_each as a whole (`for_each = data.aws_iam_policy_document.x`, chaining one
      // resource's instances to another's): a list of its instances, or a map of them by key, each whole.
      const { block } = v.r;
      const insts = this.instances(block);
      if (insts instanceof Unknown) return this.carry(e, env, insts);
      const u = this.unknown(e, env, 'RF906', `${env.loc.text.slice(e.at, e.end)} is a whole ${block.mode === 'data' ? 'data source' : 'resource'}: the doctor reads its instances' attributes, not the whole as one value`);
      const whole = (i: Instance) => new WholeInstance(new Unknown(this.sym(`${block.mode === 'data' ? 'data.' : ''}${block.type}.${i.name}`), u.reason), this, block, i);
      if (block.body.attrs.some((a) => a.name === 'count')) return insts.map(whole);
      const out: Record<string, Value> = {};
      for (const i of insts) setOwn(out, i.each!.key, whole(i));
      return out;
    }
    return isRef(v) ? this.unknown(e, env, 'RF906', `${env.loc.text.slice(e.at, e.end)} is a whole block, not a value the doctor can use`) : v;
  }

  eval(e: Expr, env: Env): V {
    switch (e.k) {
      case 'lit':
        return e.v;
      case 'json':
        return this.value(e.x, { ...env, loc: jsonStringLoc(env.loc, e) });
      case 'paren':
        return this.eval(e.x, env);
      case 'tif':
      case 'tfor':
        return this.#template({ k: 'tpl', parts: [e], at: e.at, end: e.end }, env);
      case 'tpl':
        // A template that is one interpolation and nothing else is that value, unconverted (HCL's
        // template rule): `.tf.json` writes every expression so, `"for_each": "${local.buckets}"`.
        if (e.parts.length === 1 && typeof e.parts[0] !== 'string' && e.parts[0]!.k !== 'tif' && e.parts[0]!.k !== 'tfor') return this.eval(e.parts[0]!, env);
        return this.#template(e, env);
      case 'var':
        return this.variable(e, env);
      case 'attr': {
        const o = this.eval(e.obj, env);
        return this.traverse(e, env, o, e.name);
      }
      case 'index': {
        const o = this.eval(e.obj, env);
        const k = this.value(e.key, env);
        if (k instanceof Unknown) return this.carry(e, env, k);
        return this.traverse(e, env, o, k);
      }
      case 'splat': {
        const o = this.value(e.obj, env);
        if (o instanceof Unknown) return this.carry(e, env, o);
        const items = o === null ? [] : Array.isArray(o) ? o : [o];
        return items.map((item) => {
          let cur: V = item;
          for (const step of e.chain) {
            const k = 'attr' in step ? step.attr : this.value(step.index, env);
            if (k instanceof Unknown) return this.carry(e, env, k);
            cur = this.traverse(e, env, cur, k);
          }
          return isRef(cur) ? this.unknown(e, env, 'RF906', 'a splat over blocks is not evaluated') : cur;
        });
      }
      case 'call': {
        if ((e.name === 'file' || e.name === 'templatefile') && this.hooks.file) return this.fileCall(e, env);
        const outer = this.#inPolicy;
        if (e.name === 'jsonencode') this.#inPolicy = true;
        const guarded = e.name === 'try' || e.name === 'can';
        if (guarded) this.#guarded++;
        let args: Value[];
        try {
          args = e.args.map((a) => this.value(a, env));
        } finally {
          this.#inPolicy = outer;
          if (guarded) this.#guarded--;
        }
        if (e.expand) {
          const last = args.pop();
          if (last instanceof Unknown) return this.carry(e, env, last);
          if (!Array.isArray(last)) return this.unknown(e, env, 'RF906', `... expands a list, not ${JSON.stringify(last)}`);
          args.push(...last);
        }
        // base64encode (or base64gzip) over a template only partly known (user data naming a variable without
        // default): the text it encodes, with the unknown parts as `\${…}`, as `.tf.json` would
        // write the call, so the VM reader can still read the config.toml the script writes.
        if ((e.name === 'base64encode' || e.name === 'base64gzip') && args.length === 1 && args[0] instanceof Unknown) {
          return new Unknown(`\${${e.name}(${JSON.stringify(args[0].render)})}`, args[0].reason);
        }
        // An OIDC issuer URL only apply knows without its scheme (replace(aws_iam_openid_connect_provider.x.url,
        // "https://", ""), trimprefix(…, "https://")): one bare symbol per URL, the host path the provider's ARN ends in.
        const [u0, a1, a2] = args;
        if (u0 instanceof Unknown && u0.reason.code === 'RF906' && a1 === 'https://' && ((e.name === 'replace' && args.length === 3 && a2 === '') || (e.name === 'trimprefix' && args.length === 2))) {
          const host = this.hostPath(u0);
          return host instanceof Unknown ? this.#shownAs(host, e, env) : host;
        }
        // replace() over a text known up to bare references (the OIDC provider's ARN stripped to its host path by a regular expression).
        if (e.name === 'replace' && args.length === 3 && u0 instanceof Unknown && typeof a1 === 'string' && typeof a2 === 'string') {
          const r = this.#replaceAroundSymbols(u0, a1, a2);
          if (r !== undefined) return r instanceof Unknown ? this.#shownAs(r, e, env) : r;
        }
        if (e.name === 'try') return this.tryCall(e, env, args);
        // The length of a list or a map is known when its elements are not (`length(aws_s3_bucket.x)` over the instances of a count).
        if (e.name === 'length' && args.length === 1 && u0 !== undefined && (Array.isArray(u0) || isObj(u0))) return Array.isArray(u0) ? u0.length : Object.keys(u0).length;
        if (e.name !== 'can') {
          const u = args.map(firstUnknown).find((x) => x !== undefined);
          // A policy document naming KMS keys of this root (`Resource = aws_kms_key.x.arn`): its JSON with
          // those references as written, as `.tf.json` would carry it (the doctor puts each key's stand-in in).
          if (u && e.name === 'jsonencode' && this.scope.address === '' && args.length === 1) {
            const inlined = inlineKeyReferences(args[0]!, true);
            const text = inlined !== undefined ? callFunction('jsonencode', [inlined]) : undefined;
            if (typeof text === 'string' && !this.mixesIssuers(text)) return new Unknown(text, u.reason);
          }
          if (u) return this.carry(e, env, u);
        }
        try {
          const r = callFunction(e.name, args);
          if (r === undefined) return this.unknown(e, env, 'RF906', `the doctor does not evaluate the function ${e.name}()`, 'give `terraform show -json` of a plan, which carries the evaluated values');
          return r;
        } catch (err) {
          const failed = this.unknown(e, env, 'RF906', `${e.name}() fails on these arguments: ${err instanceof Error ? err.message : String(err)}`);
          failed.reason.failed = true;
          return failed;
        }
      }
      case 'tuple':
        return e.items.map((x) => this.value(x, env));
      case 'object': {
        const out: Record<string, Value> = {};
        for (const it of e.items) {
          const k = it.bareKey && it.key.k === 'var' ? it.key.name : this.value(it.key, env);
          if (k instanceof Unknown) return this.carry(e, env, k);
          out[keyString(k)] = this.value(it.value, env);
        }
        return out;
      }
      case 'for': {
        const coll = this.value(e.coll, env);
        if (coll instanceof Unknown) return this.carry(e, env, coll);
        const pairs = iterationPairs(coll);
        const tuple: Value[] = [];
        const object: Record<string, Value> = {};
        for (const [k, v] of pairs) {
          const vars = new Map(env.vars);
          if (e.keyVar !== undefined) vars.set(e.keyVar, k);
          vars.set(e.valVar, v);
          const inner = { ...env, vars };
          if (e.cond) {
            const c = this.value(e.cond, inner);
            if (c instanceof Unknown) return this.carry(e, env, c);
            if (c !== true) continue;
          }
          const val = this.value(e.valExpr, inner);
          if (!e.object) {
            tuple.push(val);
            continue;
          }
          const key = this.value(e.keyExpr!, inner);
          if (key instanceof Unknown) return this.carry(e, env, key);
          const ks = keyString(key);
          if (e.group) setOwn(object, ks, [...((Object.hasOwn(object, ks) ? object[ks] : undefined) as Value[] | undefined ?? []), val]);
          else if (Object.hasOwn(object, ks)) return this.unknown(e, env, 'RF906', `the for expression makes the key ${ks} twice (use ... to group)`);
          else setOwn(object, ks, val);
        }
        return e.object ? object : tuple;
      }
      case 'cond': {
        const t = this.value(e.test, env);
        if (t instanceof Unknown) return this.carry(e, env, t);
        return this.eval(t === true || t === 'true' ? e.then : e.else, env);
      }
      case 'un': {
        const x = this.value(e.x, env);
        if (x instanceof Unknown) return this.carry(e, env, x);
        return e.op === '!' ? !truthy(x) : -Number(x);
      }
      case 'bin': {
        const l = this.value(e.l, env);
        // && and || short-circuit as Terraform 1.12+ does not; evaluating both keeps errors visible.
        const r = l instanceof Unknown && e.op !== '||' && e.op !== '&&' ? undefined : this.value(e.r, env);
        // Either operand exactly true decides || and exactly false decides &&, whatever the other is, as
        // Terraform's values do (`var.create || local.policy_arn != ""` is true where var.create is) — but
        // not over an error (a broken reference), which Terraform reports.
        if ((e.op === '||' || e.op === '&&') && (l instanceof Unknown || r instanceof Unknown)) {
          const decides = (x: Value | undefined) => x === (e.op === '||') || x === String(e.op === '||');
          const later = (x: Value | undefined) => x instanceof Unknown && x.reason.code === 'RF906';
          if ((decides(l) && later(r)) || (decides(r) && later(l))) return e.op === '||';
        }
        if (l instanceof Unknown) return this.carry(e, env, l);
        if (r instanceof Unknown) return this.carry(e, env, r);
        try {
          return binary(e.op, l, r!);
        } catch (err) {
          return this.unknown(e, env, 'RF906', err instanceof Error ? err.message : String(err));
        }
      }
    }
  }

  /**
   * A template rendered as Terraform renders it: literal text, interpolations as text, `%{if}` over
   * a known condition, `%{for}` over a known collection (a list or tuple by index, a set by its
   * elements, a map or object in lexical key order). A part only apply knows leaves the text
   * unknown: its render keeps the known text (escaped as `.tf.json` writes it) and the unknown
   * parts as `${…}`; a directive whose condition or collection is unknown is written as it stands,
   * its text between with the names a `%{for}` binds unknown. The text is built in parts and joined
   * once, so a loop of 10,000 iterations costs 10,000 parts, not 10,000 copies.
   */
  #template(e: Expr & { k: 'tpl' }, env: Env): Value {
    const st: TemplateRun = { out: [], partial: [], size: 0, iterations: 0, speculative: 0, at: e };
    this.#render(e.parts, env, st);
    if (st.stop) return st.stop;
    // A directive not known here is the reason to give: it leaves the shape of the text unknown, not only a value in it.
    return st.unknown ? new Unknown(st.partial.join(''), st.directive ?? st.unknown.reason) : st.out.join('');
  }

  #render(parts: readonly (string | Expr)[], env: Env, st: TemplateRun): void {
    for (const p of parts) {
      if (st.stop) return;
      if (typeof p === 'string') this.#emit(p, env, st);
      else if (p.k === 'tif') this.#renderIf(p, env, st);
      else if (p.k === 'tfor') this.#renderFor(p, env, st);
      else {
        const got = this.value(p, env);
        // Text around a reference: the resource's argument as written is what Terraform renders there.
        const v = got instanceof Unknown ? (this.writtenArgument(got) ?? got) : got;
        if (v instanceof Unknown) {
          st.unknown ??= v;
          st.partial.push(v.render);
        } else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') this.#emit(String(v), env, st);
        else {
          const u = this.unknown(p, env, 'RF906', `${env.loc.text.slice(p.at, p.end)} is ${v === null ? 'null' : 'a collection'}, which a string template cannot hold`);
          st.unknown ??= u;
          st.partial.push(u.render);
        }
      }
    }
  }

  #emit(text: string, env: Env, st: TemplateRun): void {
    st.out.push(text);
    st.partial.push(tfLiteral(text));
    st.size += text.length;
    if (st.size > MAX_TEMPLATE_TEXT) st.stop ??= this.unknown(st.at, env, 'RF906', `this template renders more than ${MAX_TEMPLATE_TEXT / 1024 / 1024} MiB of text (the most the doctor reads of a file); the doctor stops there`, 'give `terraform show -json` of a plan, which carries the rendered value');
  }

  /** A directive's tag as written (`%{ for k, v in var.x ~}`). */
  #tag(s: Span, env: Env): string {
    return env.loc.text.slice(s.at, s.end);
  }

  /**
   * A directive over a condition or collection not known here: the template is unknown for the
   * reason the value is (its code too: RF903 for missing evidence), said at the directive, and its
   * texts are rendered as written, where an error Terraform would not reach is no finding.
   */
  #notKnown(p: Expr & ({ k: 'tif' } | { k: 'tfor' }), env: Env, st: TemplateRun, u: Unknown): void {
    const tag = this.#tag(p.open, env);
    const loc = env.loc;
    if (!st.directive) {
      st.directive = lazyReason(u.reason.code, `the ${p.k === 'tif' ? 'condition' : 'collection'} of ${tag} is not known: ${u.reason.message}`, () => loc.pos(p.open.at), u.reason.fix);
      st.directive.directive = true;
    }
    st.unknown ??= new Unknown(this.sym(tag), st.directive);
    st.partial.push(this.sym(tag));
    st.speculative++;
    this.#guarded++;
    try {
      if (p.k === 'tif') {
        this.#render(p.then.parts, env, st);
        if (p.else) {
          st.partial.push(this.sym(this.#tag(p.mid!, env)));
          this.#render(p.else.parts, env, st);
        }
      } else {
        // The names it binds are its own until %{endfor}: values not known here, never resources of that name.
        const vars = new Map(env.vars);
        for (const name of [p.keyVar, p.valVar]) if (name !== undefined) vars.set(name, new Unknown(this.sym(name), lazyReason('RF906', `${name} is bound by ${tag}, whose collection is not known`, () => loc.pos(p.open.at))));
        this.#render(p.body.parts, { ...env, vars }, st);
      }
    } finally {
      st.speculative--;
      this.#guarded--;
    }
    st.partial.push(this.sym(this.#tag(p.close, env)));
  }

  /**
   * What Terraform refuses when it renders the template (a condition that is no bool, a `%{for}` over
   * something that is no collection): a finding at the value (unless try() or can() catches it),
   * and the template fails; inside a directive not known here, only that part is unknown.
   */
  #refused(x: Expr, env: Env, st: TemplateRun, message: string, fix: string): void {
    const u = this.unknown(x, env, 'RF906', message, fix);
    u.reason.failed = true;
    if (this.#guarded === 0) this.report(u.reason);
    if (st.speculative > 0) {
      st.unknown ??= u;
      st.partial.push(u.render);
    } else st.stop = u;
  }

  #renderIf(p: Expr & { k: 'tif' }, env: Env, st: TemplateRun): void {
    const c = this.value(p.cond, env);
    if (c instanceof Unknown) return this.#notKnown(p, env, st, c);
    const tag = this.#tag(p.open, env);
    if (c === true || c === 'true') return this.#render(p.then.parts, env, st);
    if (c === false || c === 'false') return p.else ? this.#render(p.else.parts, env, st) : undefined;
    if (c === null) return this.#refused(p.cond, env, st, `Terraform refuses ${tag}: its condition is null, and a condition must be true or false`, 'make the condition true or false (compare with null: `x != null`)');
    this.#refused(p.cond, env, st, `Terraform refuses ${tag}: its condition must be a bool, and ${describeValue(c)} is not`, 'make the condition a comparison or a bool (`x != ""`, `length(x) > 0`)');
  }

  #renderFor(p: Expr & { k: 'tfor' }, env: Env, st: TemplateRun): void {
    const coll = this.value(p.coll, env);
    if (coll instanceof Unknown) return this.#notKnown(p, env, st, coll);
    const tag = this.#tag(p.open, env);
    if (coll === null) return this.#refused(p.coll, env, st, `Terraform refuses ${tag}: its collection is null, and a null value cannot be iterated`, 'iterate a list, set, map or object (`coalesce(x, [])` for an optional one)');
    if (!Array.isArray(coll) && !isObj(coll)) return this.#refused(p.coll, env, st, `Terraform refuses ${tag}: ${describeValue(coll)} cannot be iterated; a %{for} takes a list, set, tuple, map or object`, 'iterate a list, set, map or object');
    const vars = new Map(env.vars);
    const inner = { ...env, vars };
    for (const [k, v] of iterationPairs(coll)) {
      if (++st.iterations > MAX_TEMPLATE_ITERATIONS) {
        st.stop ??= this.unknown(p.coll, env, 'RF906', `this template's %{for} directives run more than ${MAX_TEMPLATE_ITERATIONS.toLocaleString('en-US')} iterations; the doctor stops there`, 'give `terraform show -json` of a plan, which carries the rendered value');
        return;
      }
      if (p.keyVar !== undefined) vars.set(p.keyVar, k);
      vars.set(p.valVar, v);
      this.#render(p.body.parts, inner, st);
      if (st.stop) return;
    }
  }

  /**
   * A root variable's value from its folder's variable definitions files (VarFiles): what Terraform
   * loads itself, else undefined (the default applies). A file read only with `-var-file` that gives
   * another value makes the value depend on how Terraform is run: not known (RF906).
   */
  #fromVarFiles(e: Expr, env: Env, name: string, v: VariableDecl, files: VarFiles): Value | undefined {
    const loaded = files.loaded.get(name);
    // A file Terraform loads after the one that gave the value (or with none) that could not be read may set it.
    const unread = files.unreadable?.find((u) => loaded === undefined || u.rank > loaded.rank);
    if (unread !== undefined) return this.#unreadVarFile(e, env, name, unread);
    const value = loaded !== undefined ? this.#varFileValue(e, env, name, v, loaded) : undefined;
    const optional = files.optional.get(name) ?? [];
    if (optional.length === 0) return value;
    const base = value ?? (v.default ? this.typed(v, this.value(v.default, { loc: v.loc, vars: new Map() })) : undefined);
    for (const o of optional) {
      const other = this.#varFileValue(e, env, name, v, o);
      if (base !== undefined && !(base instanceof Unknown) && !(other instanceof Unknown) && JSON.stringify(other) === JSON.stringify(base)) continue;
      const file = o.file.replace(/^.*[\\/]/, '');
      const now = base === undefined ? 'has no default and no value in terraform.tfvars, terraform.tfvars.json or a *.auto.tfvars or *.auto.tfvars.json file' : loaded !== undefined ? `is set in ${loaded.file}` : 'has a default';
      return this.unknown(e, env, 'RF906', `var.${name} ${now}, and ${o.file} gives it ${base === undefined ? 'one' : 'another value'}, a file Terraform reads only when a run names it (-var-file=${file}): which value the deployment has depends on how Terraform is run`, 'give `terraform show -json` of a plan made with the variable files you use, or give the value in terraform.tfvars, which every run reads');
    }
    return value;
  }

  /**
   * `var.<name>` where a variable definitions file Terraform loads on every run could not be read: not
   * known (RF903). One finding per such file, at its syntax error, naming the variables it leaves
   * unknown and how many references read them: a broken terraform.tfvars is one fix, not one finding
   * per variable or per place a variable is used.
   */
  #unreadVarFile(e: Expr, env: Env, name: string, unread: { file: string; at: Position }): Unknown {
    let entry = this.#unreadVarFiles.get(unread.file);
    if (entry === undefined) {
      const names = new Map<string, Set<string>>();
      const at = formatPosition(unread.at);
      entry = {
        names,
        reason: {
          code: 'RF903',
          get message() {
            const vars = [...names.keys()].map((n) => `var.${n}`);
            const refs = [...names.values()].reduce((n, places) => n + places.size, 0);
            const list = vars.length === 1 ? vars[0]! : `${vars.slice(0, -1).join(', ')} and ${vars[vars.length - 1]!}`;
            const one = vars.length === 1;
            return `${unread.file} could not be read (not valid ${/\.json$/i.test(unread.file) ? 'JSON' : 'HCL'}, RF901 at ${at}), and Terraform loads it on every run: it may set ${list}, so ${one ? 'its value is' : `their values are`} not known${refs > vars.length ? ` (${refs} references read ${one ? 'it' : 'them'})` : ''}`;
          },
          at: unread.at,
          fix: `fix the syntax of ${unread.file} at line ${unread.at.line}, column ${unread.at.column}`,
        },
      };
      this.#unreadVarFiles.set(unread.file, entry);
      this.report(entry.reason);
    }
    let places = entry.names.get(name);
    if (places === undefined) entry.names.set(name, (places = new Set()));
    places.add(`${env.loc.file}\0${e.at}`);
    return new Unknown(this.sym(env.loc.text.slice(e.at, e.end)), entry.reason);
  }
  readonly #unreadVarFiles = new Map<string, { names: Map<string, Set<string>>; reason: Reason }>();

  /** One variable file's value for `var.<name>`, converted to its declared type; a value that is not a constant, as Terraform refuses it there, is not known. */
  #varFileValue(e: Expr, env: Env, name: string, v: { type?: TypeConstraint; loc: Loc }, given: VarFileValue): Value {
    if ('json' in given) return this.typed(v, given.json as Value);
    if (!constantExpr(given.expr)) return this.unknown(e, env, 'RF906', `var.${name} is given in ${given.file} by an expression that is not a constant value, which Terraform refuses in a variable definitions file`, `give a literal value in ${given.file}`);
    return this.typed(v, this.value(given.expr, { loc: given.loc, vars: new Map() }));
  }

  /** A variable's value (its default, or the caller's argument) converted to its declared type. */
  typed(v: { type?: TypeConstraint; loc: Loc }, value: Value): Value {
    return v.type ? convertTo(value, v.type, (d) => this.value(d, { loc: v.loc, vars: new Map() })) : value;
  }

  variable(e: Expr & { k: 'var' }, env: Env): V {
    const local = env.vars.get(e.name);
    if (local !== undefined) return local;
    switch (e.name) {
      case 'local':
        return new Ref({ ref: 'local', name: '' });
      case 'var':
        return new Ref({ ref: 'var', name: '' });
      case 'data':
        return new Ref({ ref: 'data', name: '' });
      case 'module':
        return new Ref({ ref: 'module', name: '' });
      case 'each':
        if (!env.each) return this.unknown(e, env, 'RF913', 'each is used in a block without for_each', 'add for_each to the block, or remove the reference');
        return { key: env.each.key, value: env.each.value };
      case 'count':
        if (env.index === undefined) return this.unknown(e, env, 'RF913', 'count.index is used in a block without count', 'add count to the block, or remove the reference');
        return { index: env.index };
      case 'path':
      case 'terraform':
      case 'self':
        return new Ref({ ref: 'opaque', name: e.name });
    }
    return new Ref({ ref: 'type', mode: 'resource', type: e.name });
  }

  /**
   * The path a `file()` or `templatefile()` call reads (`path.module`, `path.root` and `path.cwd` are
   * folders of the files given); an Unknown when the path is not static. A relative path is read
   * from the working directory, as Terraform reads it: the root module's folder, where terraform
   * runs, whichever module the call is in (path.module is the module's own: Terraform's
   * "Filesystem and Workspace Info" references). `alt.moduleRelative`: in a called module, the same
   * relative path from the module's folder, which a call of a module written for itself may mean.
   */
  filePath(arg: Expr | undefined, env: Env, alt?: { moduleRelative?: string }): string | Unknown | undefined {
    if (!arg) return undefined;
    const dir = (name: string) => (name === 'module' ? this.mod.dir : (this.scope.chain[0] ?? this.mod.dir));
    let text = '';
    let anchored = false;
    const parts = arg.k === 'tpl' ? arg.parts : (formatParts(arg) ?? [arg]);
    for (const p of parts) {
      if (typeof p === 'string') text += p;
      else if (p.k === 'attr' && p.obj.k === 'var' && p.obj.name === 'path' && !env.vars.has('path') && (p.name === 'module' || p.name === 'root' || p.name === 'cwd')) {
        anchored ||= text === '';
        text += dir(p.name);
      }
      else {
        const v = this.value(p, env);
        if (v instanceof Unknown) return v;
        if (typeof v !== 'string') return undefined;
        text += v;
      }
    }
    if (text === '') return undefined;
    if (anchored || /^([A-Za-z]:)?[\\/]/.test(text)) return normalPath(text);
    const cwd = dir('cwd');
    if (alt && cwd !== this.mod.dir) alt.moduleRelative = normalPath(this.mod.dir === '.' ? text : `${this.mod.dir}/${text}`);
    return normalPath(cwd === '.' ? text : `${cwd}/${text}`);
  }

  /** `file(path)` and `templatefile(path, vars)` over the files given; a file not given is missing evidence (RF903). */
  fileCall(e: Expr & { k: 'call' }, env: Env): Value {
    const alt: { moduleRelative?: string } = {};
    const path = this.filePath(e.args[0], env, alt);
    if (path instanceof Unknown) return this.carry(e, env, path);
    if (path === undefined) return this.unknown(e, env, 'RF906', `${e.name}() is given no static path`);
    const text = this.hooks.file!(path);
    if (text === undefined) {
      // The path read from the module's folder is among the files given: the module was likely written to be run by itself.
      if (alt.moduleRelative !== undefined && this.hooks.file!(alt.moduleRelative) !== undefined) {
        return this.unknown(e, env, 'RF903', `not in the evidence given: ${path}, which ${e.name}() reads: Terraform reads a relative path from the working directory (the root module's folder, ${this.scope.chain[0] === '.' || this.scope.chain[0] === undefined ? 'the folder given' : `${this.scope.chain[0]}/`}), not from the module's; ${alt.moduleRelative} is given, and from this root Terraform does not read it`, `if ${alt.moduleRelative} is the file meant, write the path from the module's folder (${e.name}("\${path.module}/…")), or give ${path}`);
      }
      return this.unknown(e, env, 'RF903', `not in the evidence given: ${path}, which ${e.name}() reads`, `give ${path} with the Terraform files`);
    }
    if (e.name === 'file') return text;
    const given = e.args[1] ? this.value(e.args[1], env) : {};
    if (given instanceof Unknown) return this.carry(e, env, given);
    if (!isObj(given)) return this.unknown(e, env, 'RF906', 'templatefile() takes an object of template variables');
    return this.#renderFile(e, env, text, given, path);
  }

  /**
   * A template's text rendered with its variables (templatefile(), data "template_file"): it sees
   * them only, and its positions are its file's (`path`), else the `at` given.
   */
  #renderFile(e: Expr, env: Env, text: string, given: Record<string, Value>, path: string | undefined, at?: () => Position): Value {
    // A variable that is a resource's argument as written (`bucket = aws_s3_bucket.cache.bucket`) renders as written.
    const vars: Record<string, Value> = {};
    for (const [k, v] of Object.entries(given)) setOwn(vars, k, v instanceof Unknown ? (this.writtenArgument(v) ?? v) : v);
    let x: Expr;
    try {
      x = parseJsonTemplate(text);
    } catch (err) {
      return this.unknown(e, env, 'RF906', `${path ?? 'the template'} is not a valid template: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (path !== undefined) this.hooks.templateRendered?.(path, vars);
    const lines = new LineIndex(text);
    const file = path ?? env.loc.file;
    return this.value(x, { loc: { file, text, pos: path !== undefined || at === undefined ? (o) => ({ file, ...lines.pos(o) }) : () => at() }, vars: new Map(Object.entries(vars)) });
  }

  /**
   * `data "template_file"` (the template provider, archived, still in older runner modules): `rendered` is its
   * `template` rendered with its `vars`, as templatefile() renders a file.
   */
  #templateFile(e: Expr, env: Env, block: ConfigBlock, inst: Instance): Value | undefined {
    const body = this.body(block, inst);
    const template = body.template;
    const given = body.vars ?? {};
    if (typeof template !== 'string' || !isObj(given)) return undefined;
    const written = block.body.attrs.find((a) => a.name === 'template');
    // Read with file("${path.module}/…"): positions are that file's; written inline, the argument's.
    const instEnv: Env = instanceEnv(block.loc, inst);
    const path = written?.expr.k === 'call' && written.expr.name === 'file' ? this.filePath(written.expr.args[0], { ...instEnv, loc: written.loc }) : undefined;
    // The file a `"${file(…)}"` reads (Terraform 0.11's way of writing it), for templateRendered only: positions stay the argument's.
    const wrapped = written?.expr.k === 'tpl' && written.expr.parts.length === 1 && typeof written.expr.parts[0] !== 'string' ? written.expr.parts[0] : undefined;
    const wrappedPath = path === undefined && wrapped?.k === 'call' && wrapped.name === 'file' ? this.filePath(wrapped.args[0], { ...instEnv, loc: written!.loc }) : undefined;
    if (typeof wrappedPath === 'string') this.hooks.templateRendered?.(wrappedPath, given);
    return this.#renderFile(e, env, template, given, typeof path === 'string' ? path : undefined, written ? () => written.loc.pos(written.expr.at) : undefined);
  }

  /**
   * The value a reference that stays a symbol (`${aws_s3_bucket.cache.bucket}`: references between
   * resources keep their symbols, which the readers follow) renders to where it is interpolated into
   * text: the argument as written on that resource of this module (one instance, no count or
   * for_each), when it is a literal. Undefined for anything else (what apply computes, a data source,
   * a module's output).
   */
  writtenArgument(u: Unknown): string | number | boolean | undefined {
    if (u.reason.code !== 'RF906' || this.scope.address !== '') return undefined;
    const m = /^\$\{([a-z][a-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_-]*)\.([a-z_]+)\}$/.exec(u.render);
    if (!m || m[1] === 'local' || m[1] === 'var' || m[1] === 'data' || m[1] === 'module') return undefined;
    const block = this.#blocks.get(`${m[1]!}.${m[2]!}`);
    if (!block || block.mode !== 'resource') return undefined;
    const insts = this.instances(block);
    if (insts instanceof Unknown || insts.length !== 1 || insts[0]!.name !== block.name) return undefined;
    const v = this.body(block, insts[0]!)[writtenAs(block.type, m[3]!)];
    return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : undefined;
  }

  traverse(e: Expr, env: Env, o: V, key: Value): V {
    if (o instanceof WholeInstance) return o.owner.attributeOf(e, env, o, key, this.#inPolicy);
    if (o instanceof Unknown) return this.carry(e, env, o);
    const name = keyString(key);
    if (isRef(o)) {
      const ref = o.r;
      switch (ref.ref) {
        case 'local': {
          // A local computed from values only apply knows (trimprefix(aws_iam_openid_connect_provider.x.arn, …)) stands for
          // one text everywhere: it renders as the bare symbol `${local.x}` the proofs treat as opaque, as plan's documents do.
          // A text known in part (a template, user data: literal text around parts only apply knows) stays
          // that text, as it would written in place, so the config.toml in `base64encode(local.user_data)` is read.
          const v = this.local(e, env, name);
          return v instanceof Unknown && v.reason.code === 'RF906' && !BARE_SYMBOL.test(v.render) && !partText(v.render) ? this.carry(e, env, v) : v;
        }
        case 'var': {
          const v = this.mod.variables.get(name);
          if (!v) {
            const near = nearest(name, this.mod.variables.keys());
            if (this.mod.unreadable !== undefined) return this.notRead(e, env, `var.${name}`);
            return this.unknown(e, env, 'RF913', `var.${name} names no variable of this module${near ? `; did you mean var.${near} (${fmt(this.mod.variables.get(near)!.loc.pos(this.mod.variables.get(near)!.at))})?` : ''}`, `declare variable "${name}", or fix the reference`);
          }
          // Each way the value is found keeps where it is written (#varPlaces), for placeOf.
          const hit = this.#callerValue(name);
          if (hit !== undefined) return this.#placed(name, hit, () => this.scope.argPlaces?.get(name)?.());
          const missing = this.scope.missing.get(name);
          if (missing) return new Unknown(this.sym(`var.${name}`), missing);
          // A root: the value its variable definitions files give (terraform.tfvars, *.auto.tfvars), before the default.
          if (this.scope.address === '' && this.mod.varFiles !== undefined) {
            const given = this.#fromVarFiles(e, env, name, v, this.mod.varFiles);
            const loaded = this.mod.varFiles.loaded.get(name);
            if (given !== undefined) return this.#placed(name, given, () => (loaded === undefined ? undefined : 'json' in loaded ? (loaded.at !== undefined ? { kind: 'tfvars', name: `var.${name}`, at: loaded.at } : undefined) : this.placeOf(loaded.expr, { loc: loaded.loc, vars: new Map() }, { kind: 'tfvars', name: `var.${name}` })));
          }
          if (!v.default) return this.unknown(e, env, 'RF906', `var.${name} has no default, so its value is given only when Terraform runs`, `give \`terraform show -json\` of a plan made with the value you pass for var.${name} (-var or -var-file), or give var.${name} a default or a value in terraform.tfvars`);
          const d = v.default;
          return this.#placed(name, this.typed(v, this.value(d, { loc: v.loc, vars: new Map() })), () => this.placeOf(d, { loc: v.loc, vars: new Map() }, { kind: 'default', name: `var.${name}` }));
        }
        case 'data':
          return new Ref({ ref: 'type', mode: 'data', type: name });
        case 'module': {
          const call = this.mod.modules.get(name);
          if (!call) {
            const near = nearest(name, this.mod.modules.keys());
            if (this.mod.unreadable !== undefined) return this.notRead(e, env, `module.${name}`);
            return this.unknown(e, env, 'RF913', `module.${name} names no module block${near !== undefined ? `; did you mean module.${near} (${fmt(this.mod.modules.get(near)!.loc.pos(this.mod.modules.get(near)!.at))})?` : ''}`, `add module "${name}", or fix the reference`);
          }
          const instances = this.moduleInstances(name);
          if (instances instanceof Unknown) return new Unknown(this.sym(`module.${name}`), instances.reason);
          if (call.body?.attrs.some((a) => a.name === 'count' || a.name === 'for_each')) return new Ref({ ref: 'calls', name, instances });
          return new Ref({ ref: 'call', ev: instances.get(name)! });
        }
        case 'calls': {
          const hit = ref.instances.get(`${ref.name}[${typeof key === 'number' ? key : JSON.stringify(name)}]`);
          if (!hit) return this.#broken(e, env, `module.${ref.name} has no instance ${JSON.stringify(key)} (instances: ${[...ref.instances.keys()].map((k) => k.slice(ref.name.length + 1, -1)).join(', ') || 'none'})`, 'fix the key', ...countOf(this.mod.modules.get(ref.name)?.body?.attrs));
          return new Ref({ ref: 'call', ev: hit });
        }
        case 'call': {
          const out = ref.ev.output(name, this.#inPolicy);
          if (out !== undefined) return out;
          const near = nearest(name, ref.ev.mod.outputs.keys());
          return this.unknown(e, env, 'RF913', `${ref.ev.scope.address} has no output ${name} (module ${ref.ev.mod.dir})${near !== undefined ? `; did you mean ${near}?` : ` (outputs: ${[...ref.ev.mod.outputs.keys()].join(', ') || 'none'})`}`, `declare output "${name}" in ${ref.ev.mod.dir}, or fix the reference`);
        }
        case 'opaque':
          return this.unknown(e, env, 'RF906', `${ref.name}.${name} is known only when Terraform runs`);
        case 'type': {
          const b = this.#blocks.get(`${ref.mode === 'data' ? 'data.' : ''}${ref.type}.${name}`);
          if (!b) {
            if (this.mod.unreadable !== undefined) return this.notRead(e, env, `${ref.mode === 'data' ? 'data.' : ''}${ref.type}.${name}`);
            const prefix = `${ref.mode === 'data' ? 'data.' : ''}${ref.type}.`;
            const same = [...this.#blocks.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
            const near = nearest(name, same);
            let nb = near !== undefined ? this.#blocks.get(prefix + near) : undefined;
            if (!nb && same.length === 0) {
              // A misspelt type: a block of this name whose type is near (aws_iam_rol.x for aws_iam_role.x).
              const types = [...this.#blocks.values()].filter((b) => b.name === name && b.mode === ref.mode).map((b) => b.type);
              const t = nearest(ref.type, types);
              if (t !== undefined) {
                nb = this.#blocks.get(`${ref.mode === 'data' ? 'data.' : ''}${t}.${name}`);
                if (nb) return this.unknown(e, env, 'RF913', `${prefix}${name} names no ${ref.mode === 'data' ? 'data source' : 'resource'} type of this module; did you mean ${ref.mode === 'data' ? 'data.' : ''}${t}.${name} (${fmt(nb.loc.pos(nb.at))})?`, `write ${ref.mode === 'data' ? 'data.' : ''}${t}.${name}`);
              }
            }
            // A name near one of the same type is a misspelling (RF913); any other may be declared in a file not given (RF903).
            if (nb) return this.unknown(e, env, 'RF913', `${prefix}${name} names no ${ref.mode === 'data' ? 'data source' : 'resource'} of this module; did you mean ${prefix}${near!} (${fmt(nb.loc.pos(nb.at))})?`, `write ${prefix}${near!}, or declare ${ref.mode} "${ref.type}" "${name}"`);
            // Every file of the folder was read: declared nowhere, and terraform plan stops at it ("Reference to undeclared resource").
            if (this.mod.wholeFolder) return this.unknown(e, env, 'RF913', `${prefix}${name} names no ${ref.mode === 'data' ? 'data source' : 'resource'} of this module: no file of ${this.mod.dir === '.' ? 'the folder' : this.mod.dir} declares ${ref.mode} "${ref.type}" "${name}", so terraform plan stops here (Reference to undeclared resource)`, `declare ${ref.mode} "${ref.type}" "${name}" in ${this.mod.dir}, or fix the reference`);
            return this.unknown(e, env, 'RF903', `${prefix}${name} is not in the files given (no ${ref.mode === 'data' ? 'data source' : 'resource'} of that name in this module's files), so what depends on it is not proven`, `give the file that declares ${ref.mode} "${ref.type}" "${name}" (or the whole folder), or \`terraform show -json\` of a plan`);
          }
          const inst = this.instances(b);
          if (inst instanceof Unknown) return this.carry(e, env, inst);
          if (b.body.attrs.some((a) => a.name === 'for_each' || a.name === 'count')) return new Ref({ ref: 'res', block: b });
          return new Ref({ ref: 'inst', block: b, inst: inst[0]! });
        }
        case 'res': {
          const inst = this.instances(ref.block);
          if (inst instanceof Unknown) return this.carry(e, env, inst);
          const hit = inst.find((i) => (i.each ? i.each.key === name : String(i.index) === name));
          // `aws_iam_policy.x.arn` on a resource with count (Terraform 0.11 read the first instance so;
          // 0.12 and later refuse it): an attribute, not an instance key.
          const counted = e.k === 'attr' && !/^\d+$/.test(name) && ref.block.body.attrs.some((a) => a.name === 'count');
          // A data source is named with its `data.` prefix, as the user writes the reference.
          const written = `${ref.block.mode === 'data' ? 'data.' : ''}${ref.block.type}.${ref.block.name}`;
          if (!hit && counted) return this.unknown(e, env, 'RF913', `${written} has count set, so its attributes are read on one instance: .${name} reads none (Terraform 0.12 and later refuse it)`, `write ${written}[0].${name}, or one(${written}[*].${name}) where the count may be 0`);
          if (!hit) return this.#broken(e, env, `${written} has no instance ${JSON.stringify(key)} (instances: ${inst.map((i) => (i.each ? JSON.stringify(i.each.key) : String(i.index))).join(', ') || 'none'})`, 'fix the key', ...countOf(ref.block.body.attrs));
          return new Ref({ ref: 'inst', block: ref.block, inst: hit });
        }
        case 'inst': {
          const nested = this.#nested(ref.block, ref.inst, name);
          if (nested !== undefined) return new Ref({ ref: 'nested', address: `${ref.block.mode === 'data' ? 'data.' : ''}${ref.block.type}.${ref.inst.name}.${name}`, value: nested });
          return this.instanceAttr(e, env, ref.block, ref.inst, name);
        }
        case 'nested':
          return this.#nestedStep(e, env, ref.address, ref.value, key);
      }
    }
    if (Array.isArray(o)) {
      const i = Number(key);
      if (!Number.isInteger(i) || i < 0 || i >= o.length) return this.#broken(e, env, `${env.loc.text.slice(e.at, e.end)}: index ${JSON.stringify(key)} is out of range (the list has ${o.length === 1 ? '1 item' : `${o.length} items`})`, undefined, e, 'the list');
      return o[i]!;
    }
    if (isObj(o)) {
      if (name in o) return o[name]!;
      const near = nearest(name, Object.keys(o));
      return this.#broken(e, env, `${env.loc.text.slice(e.at, e.end)}: the object has no attribute ${name}${near !== undefined ? `; did you mean ${near}?` : ` (it has ${Object.keys(o).join(', ') || 'none'})`}`, 'fix the attribute name', e, 'the object');
    }
    return this.#broken(e, env, `${env.loc.text.slice(e.at, e.end)}: ${JSON.stringify(o)} has no attribute ${name}`, undefined, e, 'the value');
  }

  /** An attribute of a whole instance of this module's, read where it was passed (in a policy there or not). */
  attributeOf(e: Expr, env: Env, whole: WholeInstance, key: Value, inPolicy: boolean): V {
    const outer = this.#inPolicy;
    this.#inPolicy = inPolicy;
    try {
      const v = this.traverse(e, env, new Ref({ ref: 'inst', block: whole.block, inst: whole.inst }), key);
      // What only apply knows of it is named as this module names it (`${aws_s3_bucket.cache.arn}`), the symbol
      // the same attribute written here has, not as the expression that read it elsewhere.
      return v instanceof Unknown && !(v instanceof WholeInstance) ? new Unknown(this.sym(`${whole.block.mode === 'data' ? 'data.' : ''}${whole.block.type}.${whole.inst.name}.${keyString(key)}`), v.reason) : v;
    } finally {
      this.#inPolicy = outer;
    }
  }

  /**
   * What a resource's nested block (or object attribute) `name` holds as written: a list of block
   * bodies, or the object; undefined when it is not written so (a scalar attribute keeps its
   * symbol; what apply computes, such as `identity[0].oidc[0].issuer` of an EKS cluster, is not
   * written at all). Only that block is evaluated, so reading `metadata[0].name` never depends on
   * the resource's other attributes. Blocks written with `dynamic` are not followed.
   */
  #nested(block: ConfigBlock, inst: Instance, name: string): Value | undefined {
    if (META.has(name) || name === 'depends_on' || name === 'provider' || META_BLOCKS.has(name) || name === 'dynamic') return undefined;
    const key = `${block.mode}.${block.type}.${inst.name}`;
    const env: Env = instanceEnv(block.loc, inst);
    if (block.body.blocks.some((b) => b.type === 'dynamic' && b.labels[0] === name)) return undefined;
    const written = block.body.blocks.filter((b) => b.type === name);
    if (written.length > 0) return this.#providerDefaults(block, name, written.map((b, i) => this.#body(b.body, { ...env, loc: b.loc }, `${key}.${b.type}[${i}]`, block.mode === 'resource' ? `${block.type}.${b.type}` : undefined)));
    const a = block.body.attrs.find((x) => x.name === name);
    if (!a) return undefined;
    const v = this.#attr(key, a.name, () => this.#argument(block.mode === 'resource' ? block.type : undefined, a.name, a.expr, { ...env, loc: a.loc }));
    // `.tf.json` writes nested blocks as attributes: an object, or a list of objects.
    return isObj(v) ? this.#providerDefaults(block, name, [v])[0] : Array.isArray(v) && v.length > 0 && v.every(isObj) ? this.#providerDefaults(block, name, v) : undefined;
  }

  /**
   * A nested block as plan knows it: a namespaced kubernetes provider object whose `metadata` names no
   * namespace is in "default" (the provider's default), so `metadata[0].namespace` is known.
   */
  #providerDefaults(block: ConfigBlock, name: string, bodies: Value[]): Value[] {
    if (block.mode !== 'resource' || !block.type.startsWith('kubernetes_') || name !== 'metadata' || CLUSTER_SCOPED_KUBERNETES.has(block.type.replace(/_v\d+$/, ''))) return bodies;
    return bodies.map((b) => (isObj(b) && !Object.hasOwn(b, 'namespace') ? { ...b, namespace: 'default' } : b));
  }

  /**
   * One step into a nested block as written: `[0]` (or `.0`) picks a block (a single block is a
   * list of one, as Terraform reads it), a name reads an attribute. What is not written there is
   * known only after apply (RF906), never a broken reference.
   */
  #nestedStep(e: Expr, env: Env, address: string, v: Value, key: Value): V {
    const later = () => this.unknown(e, env, 'RF906', `${address} is known only after apply`);
    if (v instanceof Unknown) return this.carry(e, env, v);
    const i = typeof key === 'number' ? key : typeof key === 'string' && /^\d+$/.test(key) ? Number(key) : undefined;
    const step = (x: Value, k: string): V => (isObj(x) || Array.isArray(x) ? new Ref({ ref: 'nested', address: `${address}${k}`, value: x }) : x instanceof Unknown ? this.carry(e, env, x) : x);
    if (Array.isArray(v)) {
      if (i === undefined || i >= v.length) return later();
      return step(v[i]!, `[${i}]`);
    }
    if (!isObj(v)) return later();
    const name = keyString(key);
    if (i === 0 && !Object.hasOwn(v, name)) return step(v, '[0]');
    return Object.hasOwn(v, name) ? step(v[name]!, `.${name}`) : later();
  }

  /** A variable's value, its place kept (the first resolution's: a variable resolves one way in one module instance). */
  #placed(name: string, v: Value, place: () => ValuePlace | undefined): Value {
    if (typeof v === 'string' && !this.#varPlaces.has(name)) this.#varPlaces.set(name, place);
    return v;
  }

  /**
   * Where the string `e` evaluates to (in `env`) is written, from what this evaluator kept as it
   * resolved it: a literal is its own place (`here` says of what kind); `local.x` and `var.x` are
   * where that local's or variable's value is written (a local's own literal, another local, a
   * variable's tfvars value, default or caller's argument); a template that is one interpolation and
   * parentheses are what they hold. Undefined for anything else (a value computed from others, one
   * of `each` or `count`), and for a reference not yet resolved.
   */
  placeOf(e: Expr | undefined, env: Env, here: Omit<ValuePlace, 'at'>): ValuePlace | undefined {
    if (e === undefined) return undefined;
    if (e.k === 'lit') return typeof e.v === 'string' ? { ...here, at: () => env.loc.pos(e.at) } : undefined;
    if (e.k === 'paren') return this.placeOf(e.x, env, here);
    if (e.k === 'json') return this.placeOf(e.x, { ...env, loc: jsonStringLoc(env.loc, e) }, here);
    if (e.k === 'tpl') {
      if (e.parts.every((p) => typeof p === 'string')) return { ...here, at: () => env.loc.pos(e.at) };
      const only = e.parts.length === 1 ? e.parts[0]! : undefined;
      return only !== undefined && typeof only !== 'string' && only.k !== 'tif' && only.k !== 'tfor' ? this.placeOf(only, env, here) : undefined;
    }
    if (e.k !== 'attr' || e.obj.k !== 'var' || env.vars.has(e.obj.name)) return undefined;
    if (e.obj.name === 'local') return this.#localPlaces.get(e.name);
    return e.obj.name === 'var' ? this.#varPlaces.get(e.name)?.() : undefined;
  }

  /**
   * Where the value of a block's argument at `path` is written (placeOf), `metadata { namespace = … }`
   * as ['metadata', 'namespace']; in `.tf.json`, nested blocks are objects (or lists of one).
   * `address` names a literal written there.
   */
  argumentPlace(block: ConfigBlock, inst: Instance, path: readonly string[], address: string): ValuePlace | undefined {
    let body: ConfigBody | undefined = block.body;
    let e: Expr | undefined;
    let loc = block.loc;
    for (const [i, name] of path.entries()) {
      if (e !== undefined) {
        while (e.k === 'tuple' && e.items.length === 1) e = e.items[0]!;
        e = e.k === 'object' ? e.items.find((it) => (it.key.k === 'var' ? it.key.name : it.key.k === 'lit' ? it.key.v : literalString(it.key)) === name)?.value : undefined;
        if (e === undefined) return undefined;
        continue;
      }
      if (body === undefined) return undefined;
      const a = body.attrs.find((x) => x.name === name);
      if (a !== undefined) {
        e = a.expr;
        loc = a.loc;
        continue;
      }
      if (i === path.length - 1) return undefined;
      body = body.blocks.find((x) => x.type === name)?.body;
    }
    return this.placeOf(e, instanceEnv(loc, inst), { kind: 'literal', name: address });
  }

  local(e: Expr, env: Env, name: string): Value {
    const l = this.mod.locals.get(name);
    if (!l) {
      const near = nearest(name, this.mod.locals.keys());
      const at = near !== undefined ? this.mod.locals.get(near)! : undefined;
      if (this.mod.unreadable !== undefined) return this.notRead(e, env, `local.${name}`);
      return this.unknown(e, env, 'RF913', `local.${name} names no local value of this module${near !== undefined ? `; did you mean local.${near} (${fmt(at!.loc.pos(at!.at))})?` : ''}`, near !== undefined ? `write local.${near}, or define local.${name}` : `define local.${name} in a locals block`);
    }
    // A local read inside a policy document may hold an ARN known only there (#inPolicy): its own memo.
    const memo = this.#inPolicy ? this.#policyLocals : this.#locals;
    const hit = memo.get(name);
    if (hit === BUSY) return this.unknown(e, env, 'RF913', `local.${name} depends on itself`);
    if (hit !== undefined) return hit;
    if (this.#depth >= MAX_REFERENCE_DEPTH) return this.unknown(e, env, 'RF906', `local.${name} is reached through more than ${MAX_REFERENCE_DEPTH} references in a row; the doctor stops there`);
    memo.set(name, BUSY);
    this.#depth++;
    // A local is evaluated on its own (once, memoized): an error in it is its own, even where the first reader is inside try().
    const guarded = this.#guarded;
    this.#guarded = 0;
    try {
      const v = this.value(l.expr, { loc: l.loc, vars: new Map() });
      memo.set(name, v);
      // Where it is written, as it resolved: its own literal, or the local or variable it reads (placeOf).
      if (typeof v === 'string' && !this.#localPlaces.has(name)) this.#localPlaces.set(name, this.placeOf(l.expr, { loc: l.loc, vars: new Map() }, { kind: 'local', name: `local.${name}` }));
      return v;
    } finally {
      this.#depth--;
      this.#guarded = guarded;
    }
  }

  instanceAttr(e: Expr, env: Env, block: ConfigBlock, inst: Instance, attr: string): Value {
    const address = `${block.mode === 'data' ? 'data.' : ''}${block.type}.${inst.name}`;
    if (block.mode === 'data' && block.type === 'aws_iam_policy_document' && (attr === 'json' || attr === 'minified_json')) {
      const body = this.body(block, inst);
      const u = firstUnknown(body);
      if (u) {
        // Known up to bare references (an OIDC provider's ARN, an issuer's host path): its JSON with them as written,
        // as `.tf.json` of the data source would carry it; the trust's grammar decides where they may stand. In a
        // module too: its own unknowns carry its address and are never bare, so a bare one is the caller's value.
        const inlined = inlineKeyReferences(body, true);
        const doc = inlined !== undefined ? this.hooks.renderPolicy(toModel(inlined) as Record<string, unknown>, true) : undefined;
        const json = doc !== undefined ? JSON.stringify(doc) : undefined;
        if (json === undefined || this.mixesIssuers(json)) return this.carry(e, env, u);
        this.rendered.set(json, block);
        return new Unknown(json, u.reason);
      }
      const doc = this.hooks.renderPolicy(toModel(body) as Record<string, unknown>);
      if (doc === undefined) return this.unknown(e, env, 'RF906', `${address} cannot be rendered statically`);
      const json = JSON.stringify(doc);
      this.rendered.set(json, block);
      return json;
    }
    if (block.mode === 'data' && block.type === 'template_file' && attr === 'rendered') {
      const rendered = this.#templateFile(e, env, block, inst);
      if (rendered !== undefined) return rendered;
    }
    // A bucket's ARN is its name in its partition (arn:<partition>:s3:::<bucket>): known once both are.
    if (block.mode === 'resource' && block.type === 'aws_s3_bucket' && attr === 'arn') {
      const body = this.body(block, inst);
      const bucket = body.bucket;
      const partition = typeof bucket === 'string' ? this.#partitionOf(body.provider) : undefined;
      if (typeof bucket === 'string' && partition !== undefined) return `arn:${partition}:s3:::${bucket}`;
    }
    // The account Terraform runs in (data.aws_caller_identity): the one its provider configuration states, else
    // for the default configuration the deployment's own account; an aliased one that states none is not known.
    if (block.mode === 'data' && block.type === 'aws_caller_identity' && (attr === 'account_id' || attr === 'id')) {
      const account = this.#accountOf(this.body(block, inst).provider);
      if (account !== undefined) return account;
    }
    // The partition Terraform runs in (data.aws_partition: `partition`, `id`, `dns_suffix`): its provider configuration's, as for ARNs.
    if (block.mode === 'data' && block.type === 'aws_partition' && (attr === 'partition' || attr === 'id' || attr === 'dns_suffix')) {
      const partition = this.#partitionOf(this.body(block, inst).provider);
      if (partition !== undefined && attr !== 'dns_suffix') return partition;
      if (partition !== undefined && Object.hasOwn(DNS_SUFFIXES, partition)) return DNS_SUFFIXES[partition]!;
    }
    // The region Terraform runs in (data.aws_region): the one it is asked for (`name`, v6 `region`), else its provider configuration's.
    if (block.mode === 'data' && block.type === 'aws_region' && (attr === 'name' || attr === 'region' || attr === 'id')) {
      const body = this.body(block, inst);
      const asked = typeof body.region === 'string' ? body.region : body.name;
      const region = asked !== undefined ? asked : this.providers().get(this.#providerName(body.provider))?.body?.region;
      if (typeof region === 'string' && region !== '') return region;
    }
    // ARNs AWS builds from the name alone (an ECS cluster, an IAM role, a parameter …): known once the name is.
    if (block.mode === 'resource' && Object.hasOwn(DERIVED_ARNS, block.type) && (DERIVED_ARNS[block.type]!.everywhere === true || this.#inPolicy)) {
      const arn = this.#derivedArn(block.type, attr, this.body(block, inst));
      if (arn !== undefined) return arn;
    }
    // An IAM OIDC provider's ARN is arn:<partition>:iam::<account>:oidc-provider/<its URL without https://> (IAM
    // User Guide, "Create an OpenID Connect identity provider"); its url is the one written (Terraform plans it so).
    // The data source looked up by `url` (no `arn`) is the provider of that URL in its provider configuration's account.
    if (block.type === 'aws_iam_openid_connect_provider' && (attr === 'arn' || attr === 'url') && this.scope.address === '' && (block.mode === 'resource' || this.body(block, inst).arn === undefined)) {
      const body = this.body(block, inst);
      const url = body.url ?? null;
      if (attr === 'url' && (typeof url === 'string' || (url instanceof Unknown && url.reason.code === 'RF906'))) return url;
      const partition = attr === 'arn' ? this.#partitionOf(body.provider) : undefined;
      const account = partition !== undefined ? this.#accountOf(body.provider) : undefined;
      const host = account !== undefined ? this.hostPath(url) : undefined;
      if (typeof host === 'string' && host !== '') return `arn:${partition!}:iam::${account!}:oidc-provider/${host}`;
      if (host instanceof Unknown) return new Unknown(`arn:${partition!}:iam::${account!}:oidc-provider/${host.render}`, host.reason);
    }
    // A local file's content and filename are its own arguments, which the provider neither computes nor changes
    // (hashicorp/local: local_file, local_sensitive_file): what is written, known as far as it is, so chart values
    // written to a file and handed on as its content read as the yamlencode() they are.
    if (block.mode === 'resource' && LOCAL_FILES.has(block.type) && (attr === 'content' || attr === 'filename')) {
      const v = this.body(block, inst)[attr];
      if (v !== undefined && v !== null) return v;
    }
    // Inside a module, too: the module's addresses are not the root's, so what is written is what resolves.
    const indexed = inst.name !== block.name || this.scope.address !== '';
    if (indexed) {
      // The doctor's model names instances `x["key"]`; references to them resolve to what is written.
      // An argument set to null is not set: Terraform computes it as if it were not written (a role's name beside name_prefix).
      const v = this.body(block, inst)[writtenAs(block.type, attr)];
      if (v !== undefined && v !== null && !firstUnknown(v)) return v;
    }
    const at = `${this.scope.address !== '' ? `${this.scope.address}.` : ''}${address}`;
    return this.unknown(e, env, 'RF906', `${at}.${attr} is known only ${block.mode === 'data' ? 'when Terraform reads the data source' : 'after apply'}`, afterApplyFix(block.mode, block.type, at, attr));
  }

  /**
   * The ARN of a resource whose ARN AWS derives from what is written (DERIVED_ARNS): its partition,
   * region and account as its provider configuration gives them (the deployment's own account,
   * OWN_ACCOUNT, where the default configuration states none; settled later as every other value
   * of that account is: doctor/infer-vm.ts settleOwnAccount). Undefined where a part is not known
   * (a `name_prefix` or no name: AWS or Terraform picks it; a path or family only apply knows).
   */
  #derivedArn(type: string, attr: string, body: Record<string, Value>): string | undefined {
    const rule = DERIVED_ARNS[type]!;
    if (rule.attr !== attr) return undefined;
    // A parameter may state its ARN (aws_ssm_parameter's optional `arn`): what is written is what it is.
    if (type === 'aws_ssm_parameter' && typeof body.arn === 'string') return body.arn;
    const name = body[rule.name];
    if (typeof name !== 'string' || name === '') return undefined;
    const resource = rule.resource(name, body);
    if (resource === undefined) return undefined;
    // A resource's own `region` (provider v6) is where it lives; else its provider configuration's.
    const region = rule.regional ? (typeof body.region === 'string' ? body.region : this.providers().get(this.#providerName(body.provider))?.body?.region) : '';
    if (typeof region !== 'string') return undefined;
    const partition = this.#partitionOf(body.provider);
    const account = partition !== undefined ? this.#accountOf(body.provider) : undefined;
    if (account === undefined) return undefined;
    return `arn:${partition!}:${rule.service}:${region}:${account}:${resource}`;
  }

  /**
   * The AWS partition of a resource whose `provider` is `written`: its provider configuration's
   * region says it (cn-… aws-cn, us-gov-… aws-us-gov, any other plain region aws); without a
   * region, the one partition every ARN written in this module's files names (aws when they name
   * none). Undefined where that is not one partition (ARNs of two, an isolated region).
   */
  #partitionOf(written: Value | undefined): string | undefined {
    const name = this.#providerName(written);
    const region = this.providers().get(name)?.body?.region;
    if (typeof region === 'string') {
      if (/^cn-/.test(region)) return 'aws-cn';
      if (/^us-gov-/.test(region)) return 'aws-us-gov';
      return /^[a-z]{2}-[a-z]+-\d+$/.test(region) && !/-iso/.test(region) ? 'aws' : undefined;
    }
    if (this.#arnPartition === undefined) {
      const named = new Set<string>();
      for (const text of new Set(this.mod.blocks.map((b) => b.loc.text))) for (const m of text.matchAll(/\barn:(aws[a-z-]*):/g)) named.add(m[1]!);
      this.#arnPartition = named.size === 0 ? 'aws' : named.size === 1 ? [...named][0]! : null;
    }
    return this.#arnPartition ?? undefined;
  }

  #arnPartition?: string | null;
  #readingProviders = false;

  /** The local name of the provider configuration a block's `provider` (as written) names; `aws` when it names none. */
  #providerName(written: Value | undefined): string {
    return typeof written === 'string' ? written : written instanceof Unknown ? written.render.replace(/^\$\{(.*)\}$/, '$1') : 'aws';
  }

  /**
   * The account of a block whose `provider` is `written`: the one its configuration states; for the
   * root's default configuration stating none, the deployment's own account (OWN_ACCOUNT, and noted
   * so the intent takes it as the roles' account); undefined for an aliased configuration stating none.
   */
  #accountOf(written: Value | undefined): string | undefined {
    const name = this.#providerName(written);
    const ref = this.providers().get(name);
    const stated = providerAccount(ref?.body);
    if (stated !== undefined) return stated;
    if ((ref?.name ?? name) !== 'aws' || !this.scope.ownAccount) return undefined;
    this.scope.ownAccount.read = true;
    return OWN_ACCOUNT;
  }

  /**
   * The provider configurations this module instance uses, by local name: a root's own `provider`
   * blocks (`alias` makes `aws.<alias>`); a called module's are its caller's defaults, replaced by
   * the call's `providers = { aws = aws.prod }` (a module's own provider blocks, a legacy form, count too).
   */
  providers(): Map<string, ProviderRef> {
    if (this.#providers) return this.#providers;
    const out = new Map(this.scope.providers ?? []);
    // A provider setting that reads back through a provider (an ARN of a resource, the caller's account) sees none stated.
    if (this.#readingProviders) return out;
    this.#readingProviders = true;
    this.mod.providers.forEach((p, i) => {
      const block: ConfigBlock = { mode: 'resource', type: 'provider', name: `${p.name}[${i}]`, body: p.body, loc: p.loc, at: p.at, origin: p.origin };
      try {
        const body = this.body(block, { name: block.name });
        const alias = typeof body.alias === 'string' ? body.alias : undefined;
        const local = alias !== undefined ? `${p.name}.${alias}` : p.name;
        const qualified = this.scope.address !== '' ? `${this.scope.address}.${local}` : local;
        out.set(local, { name: qualified, body: Object.fromEntries(Object.entries(toModel(body) as Record<string, unknown>).filter(([k]) => !firstUnknown(body[k]!))) });
      } catch (e) {
        if (!(e instanceof EvalError)) throw e;
      }
    });
    this.#readingProviders = false;
    this.#providers = out;
    return out;
  }

  /** The providers a call hands its module: the caller's defaults, then `providers = { … }`; a name the caller lacks is RF916. */
  #childProviders(call: NonNullable<ReturnType<ConfigModule['modules']['get']>>, name: string): Map<string, ProviderRef> {
    const mine = this.providers();
    const out = new Map([...mine].filter(([k]) => !k.includes('.')));
    const attr = call.body?.attrs.find((a) => a.name === 'providers');
    if (!attr) return out;
    const text = (e: Expr) => (e.k === 'lit' ? String(e.v) : e.k === 'tpl' && e.parts.every((x) => typeof x === 'string') ? e.parts.join('') : attr.loc.text.slice(e.at, e.end));
    const items = attr.expr.k === 'object' ? attr.expr.items : [];
    for (const it of items) {
      const to = text(it.key);
      const from = text(it.value);
      const ref = mine.get(from);
      if (ref) out.set(to, ref);
      else {
        const near = nearest(from, mine.keys());
        this.report(lazyReason('RF916', `module "${name}" is given the provider configuration ${from}, which no provider block of this module declares${near !== undefined ? `; did you mean ${near}?` : mine.size > 0 ? ` (declared: ${[...mine.keys()].join(', ')})` : ''}`, () => attr.loc.pos(it.value.at === 0 && it.value.end === 0 ? attr.expr.at : it.value.at), `declare provider "${from.split('.')[0]!}" with alias = "${from.split('.').slice(1).join('.')}", or fix the name`));
      }
    }
    return out;
  }

  /** The caller's value of variable `name`, evaluated once in the caller (an unknown keeps the caller's symbol); undefined where the call does not set it. */
  #callerValue(name: string): Value | undefined {
    const arg = this.scope.args.get(name);
    const v = this.mod.variables.get(name);
    if (!arg || !v) return undefined;
    let hit = this.#args.get(name);
    if (hit === undefined) this.#args.set(name, (hit = this.typed(v, arg())));
    return hit;
  }

  /**
   * An output of this module instance; undefined when the module declares none of that name. Read
   * inside a caller's policy document (`inPolicy`), it is evaluated as inside one: the ARN of a role
   * the module names literally (`output "arn" { value = aws_iam_role.this.arn }`) is then known.
   */
  output(name: string, inPolicy = false): Value | undefined {
    if (this.mod.createsNothing) {
      const call = this.scope.call;
      const notEvaluated = (what: string): Unknown => new Unknown(`\${${this.scope.address}.${what}}`, { code: 'RF906', message: `output ${what} of ${this.scope.address} (${call?.source ?? 'a public module'}) is computed from the module's inputs, which the doctor does not evaluate (the module creates no resources)`, at: call?.at ?? { file: this.mod.dir, line: 1, column: 1 } });
      return this.mod.outputsOf?.(name, (arg) => this.#callerValue(arg), notEvaluated) ?? notEvaluated(name);
    }
    const o = this.mod.outputs.get(name);
    if (!o) return undefined;
    const memo = inPolicy ? this.#policyOutputs : this.#outputs;
    const hit = memo.get(name);
    if (hit === BUSY) return new Unknown(this.sym(`output.${name}`), { code: 'RF913', message: `output ${name} of ${this.scope.address} depends on itself`, at: o.loc.pos(o.at) });
    if (hit !== undefined) return hit;
    if (this.#depth >= MAX_REFERENCE_DEPTH) return new Unknown(this.sym(`output.${name}`), { code: 'RF906', message: `output ${name} of ${this.scope.address} is reached through more than ${MAX_REFERENCE_DEPTH} references in a row; the doctor stops there`, at: o.loc.pos(o.at) });
    memo.set(name, BUSY);
    this.#depth++;
    const outer = this.#inPolicy;
    this.#inPolicy = inPolicy;
    try {
      const v = this.value(o.expr, { loc: o.loc, vars: new Map() });
      memo.set(name, v);
      return v;
    } finally {
      this.#inPolicy = outer;
      this.#depth--;
    }
  }

  /**
   * The instances of `module "<name>"` (one, or one per count/for_each element), each an evaluator of
   * the called module with the call's arguments bound to its variables; an Unknown when the module
   * is not read (a registry or git source, a folder not given, a cycle, too deep) or its instances
   * are not statically known. Findings about the call are reported once, at the call.
   */
  moduleInstances(name: string): Map<string, ModuleEvaluator> | Unknown {
    const memo = this.#calls.get(name);
    if (memo) return memo;
    const call = this.mod.modules.get(name)!;
    const address = `${this.scope.address !== '' ? `${this.scope.address}.` : ''}module.${this.markedName(name)}`;
    const at = () => call.loc.pos(call.at);
    const notRead = (code: Reason['code'], message: string, fix: string): Unknown => {
      const reason = lazyReason(code, message, at, fix);
      if (code !== 'RF906') this.report(reason);
      return new Unknown(this.sym(`module.${name}`), reason);
    };
    const source = call.source;
    let out: Map<string, ModuleEvaluator> | Unknown;
    const local = source !== undefined && /^\.\.?[\\/]/.test(source);
    // A public registry module the doctor knows is read as its stand-in, one per call (its own folder).
    const known = !local && source !== undefined && this.hooks.registryModule ? this.hooks.registryModule(source, call, `${this.mod.dir}/.module.${name}`) : undefined;
    // Else the copy `terraform init` installed (.terraform/modules), read as a local module is.
    const installed = !local && source !== undefined && !(known !== undefined && 'blocks' in known) && this.hooks.installedModule ? this.hooks.installedModule(this.scope.chain[0]!, [...(this.scope.keys ?? []), name], source) : undefined;
    const found = local && this.hooks.module ? this.hooks.module(this.mod.dir, source) : known !== undefined && 'blocks' in known ? known : installed !== undefined && 'blocks' in installed ? installed : undefined;
    if (source === undefined) out = notRead('RF913', `module "${name}" has no literal source`, 'give the module block a source');
    else if (!local && !found && installed !== undefined && !('blocks' in installed)) out = notRead('RF903', `not in the evidence given: module "${name}" from ${source} is not read: ${installed.why}, so what it creates is not proven`, 'run terraform init in the root folder again, or give `terraform show -json` of a plan or state, which lists the resources of every module');
    else if (!local && known !== undefined && !('blocks' in known)) out = notRead('RF903', `not in the evidence given: module "${name}" from ${source} is not read: ${known.why}, so what it creates is not proven`, 'give `terraform show -json` of a plan or state, which lists the resources of every module');
    else if (!local && !found) {
      const own = this.hooks.ownModule?.(this.mod.dir, source);
      const fix = 'run terraform init in the root folder first (the doctor then reads the modules it installs), or give `terraform show -json` of a plan or state, which lists the resources of every module';
      out = own !== undefined
        ? notRead('RF903', `not in the evidence given: module "${name}" from ${source} is not read, so what it creates is not proven; ${own.why}, but the doctor does not take a registry release for the files given: the release the call's version admits may differ from them`, `to prove the module given here through this call, call it by its folder: source = "${own.local}"; else ${fix}`)
        : notRead('RF903', `not in the evidence given: module "${name}" from ${source} is not read (the doctor follows local modules, modules terraform init installed in the root's .terraform/modules, and a few public ones), so what it creates is not proven`, fix);
    }
    else if (!found) out = notRead('RF903', `not in the evidence given: module "${name}" from ${source} is not read`, 'give the module\'s folder too');
    else if (!('blocks' in found)) out = notRead(found.code, `module "${name}" from ${source} is not read: ${found.why}`, found.fix);
    else if (this.scope.chain.includes(found.dir)) out = notRead('RF915', `module "${name}" from ${source} calls a module that is already being called (${[...this.scope.chain, found.dir].join(' → ')}): Terraform refuses a cycle of module calls, and the doctor does not follow it`, 'break the cycle of module calls');
    else if (this.scope.chain.length >= MAX_MODULE_DEPTH) out = notRead('RF915', `module "${name}" is nested ${this.scope.chain.length} calls deep; the doctor follows at most ${MAX_MODULE_DEPTH} and stops here`, 'give `terraform show -json` of a plan, which lists the resources of every module');
    else {
      const block: ConfigBlock = { mode: 'resource', type: 'module', name, body: call.body ?? { attrs: [], blocks: [] }, loc: call.loc, at: call.at, origin: undefined as never };
      const insts = this.instances(block);
      if (insts instanceof Unknown) out = insts;
      else if (this.scope.budget.instances + insts.length > MAX_MODULE_INSTANCES) out = notRead('RF915', `module "${name}" would make more than ${MAX_MODULE_INSTANCES} module instances in this configuration; the doctor stops there`, 'give `terraform show -json` of a plan, which lists the resources of every module');
      else {
        this.scope.budget.instances += insts.length;
        out = new Map(insts.map((inst) => [inst.name, this.#child(found, call, source, inst, address + inst.name.slice(name.length), name)]));
      }
    }
    this.#calls.set(name, out);
    return out;
  }

  #child(mod: ConfigModule, call: NonNullable<ReturnType<ConfigModule['modules']['get']>>, source: string, inst: Instance, address: string, name: string): ModuleEvaluator {
    const args = new Map<string, () => Value>();
    const argPlaces = new Map<string, () => ValuePlace | undefined>();
    const site: ModuleCallSite = { address, source, at: call.loc.pos(call.at), args: new Map(), ...(mod.standIn ? { standIn: true as const } : {}) };
    const missing = new Map<string, Reason>();
    for (const a of call.body?.attrs ?? []) {
      if (MODULE_META.has(a.name)) continue;
      if (!mod.variables.has(a.name)) {
        const near = nearest(a.name, mod.variables.keys());
        // The module's files that are not valid HCL (RF901) may declare it: not proven either way.
        if (mod.unreadable !== undefined) this.report(lazyReason('RF903', `module "${address.replace(/^.*module\./, '')}" sets ${a.name}, which none of the files of ${source} that could be read declares; ${mod.unreadable[0]} could not be (not valid HCL, RF901)`, () => a.loc.pos(a.expr.at), `fix the syntax of ${mod.unreadable[0]}`));
        else this.report(lazyReason('RF914', `module "${call === undefined ? '' : address.replace(/^.*module\./, '')}" sets ${a.name}, which ${source} does not declare as a variable${near !== undefined ? `; did you mean ${near} (${fmt(mod.variables.get(near)!.loc.pos(mod.variables.get(near)!.at))})?` : ''}`, () => a.loc.pos(a.expr.at), near !== undefined ? `write ${near} = …` : `remove ${a.name}, or declare variable "${a.name}" in ${mod.dir}`));
        continue;
      }
      const env: Env = instanceEnv(a.loc, inst);
      const value = () => this.value(a.expr, env);
      args.set(a.name, value);
      argPlaces.set(a.name, () => this.placeOf(a.expr, env, { kind: 'argument', name: `the ${a.name} argument of module.${name}` }));
      // Read again outside any block's evaluation (the doctor names the arguments a finding is
      // about): a cycle through the argument is then an unknown value, not an escaping error.
      site.args.set(a.name, {
        at: a.loc.pos(a.expr.at),
        partAt: (path) => a.loc.pos(exprPart(a.expr, path).at),
        value: () => {
          try {
            return value();
          } catch (e) {
            if (!(e instanceof EvalError)) throw e;
            return new Unknown(`\${module.${address.replace(/^.*module\./, '')}.${a.name}}`, { code: 'RF906', message: e.message, at: a.loc.pos(a.expr.at) });
          }
        },
      });
    }
    for (const [v, decl] of mod.variables) {
      if (decl.default || args.has(v)) continue;
      const reason = lazyReason('RF914', `module "${address.replace(/^.*module\./, '')}" does not set ${v}, a variable of ${source} without default (${fmt(decl.loc.pos(decl.at))}): Terraform refuses the call`, () => call.loc.pos(call.at), `set ${v} = … in the module block`);
      this.report(reason);
      missing.set(v, reason);
    }
    return new ModuleEvaluator(mod, this.hooks, { address, chain: [...this.scope.chain, mod.dir], keys: [...(this.scope.keys ?? []), name], args, argPlaces, missing, call: site, budget: this.scope.budget, broken: this.broken, rendered: this.rendered, ownAccount: this.scope.ownAccount, ...(this.scope.hostPaths ? { hostPaths: this.scope.hostPaths } : {}), ...(this.scope.hostPathsShown ? { hostPathsShown: this.scope.hostPathsShown } : {}), providers: this.#childProviders(call, address.replace(/^.*module\./, '')) });
  }
}

/**
 * A value converted to a variable's type constraint, as Terraform converts every value a variable
 * takes: an object type fills the optional attributes left out (or null) with their default (or
 * null) and drops the attributes it does not declare; collections convert element by element; a
 * set's elements are made unique (strings sorted); primitives convert (5 → "5", "true" → true).
 * What does not fit the type is left as it is (Terraform would refuse it; the references that read
 * it then say what is missing), and an unknown stays unknown. `given` evaluates an optional
 * attribute's default where the variable is declared.
 */
const NUMBER: TypeConstraint = { k: 'number' };

function convertTo(value: Value, type: TypeConstraint, given: (e: Expr) => Value): Value {
  if (value === null || value instanceof Unknown) return value;
  switch (type.k) {
    case 'any':
      return value;
    case 'string':
      return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
    case 'number':
      return typeof value === 'string' && /^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(value) ? Number(value) : value;
    case 'bool':
      return value === 'true' ? true : value === 'false' ? false : value;
    case 'list':
    case 'set': {
      if (!Array.isArray(value)) return value;
      const items = value.map((x) => convertTo(x, type.of, given));
      if (type.k === 'list') return items;
      const seen = new Set<string>();
      const unique = items.filter((x) => !seen.has(JSON.stringify(x)) && seen.add(JSON.stringify(x)));
      return asSet(unique.every((x) => typeof x === 'string') ? unique.sort() : unique);
    }
    case 'tuple':
      return Array.isArray(value) && value.length === type.items.length ? value.map((x, i) => convertTo(x, type.items[i]!, given)) : value;
    case 'map': {
      if (!isObj(value)) return value;
      const out: Record<string, Value> = {};
      for (const k of Object.keys(value)) setOwn(out, k, convertTo(value[k]!, type.of, given));
      return out;
    }
    case 'object': {
      if (!isObj(value)) return value;
      const out: Record<string, Value> = {};
      for (const [name, a] of type.attrs) {
        const x = Object.hasOwn(value, name) ? value[name]! : undefined;
        if (x !== undefined && x !== null) setOwn(out, name, convertTo(x, a.type, given));
        else if (a.optional) setOwn(out, name, a.default !== undefined ? convertTo(given(a.default), a.type, given) : null);
        else if (x === null) setOwn(out, name, null);
      }
      return out;
    }
  }
}

/** Key and value of each element, as HCL iterates: a list by index, a set by its elements (key == value), a map by key. */
function iterationPairs(coll: Value): [Value, Value][] {
  if (Array.isArray(coll) && isSet(coll)) return coll.map((v) => [v, v]);
  if (Array.isArray(coll)) return coll.map((v, i) => [i, v]);
  return isObj(coll) ? Object.keys(coll).sort().map((k) => [k, coll[k]!]) : [];
}

function truthy(v: Value): boolean {
  return v === true || v === 'true';
}

function equal(a: Value, b: Value): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function binary(op: string, l: Value, r: Value): Value {
  switch (op) {
    case '==':
      return equal(l, r);
    case '!=':
      return !equal(l, r);
    case '&&':
      return truthy(l) && truthy(r);
    case '||':
      return truthy(l) || truthy(r);
  }
  const a = Number(l);
  const b = Number(r);
  if (Number.isNaN(a) || Number.isNaN(b)) throw new EvalError(`${op} needs numbers, got ${JSON.stringify(l)} and ${JSON.stringify(r)}`);
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return a % b;
    case '<':
      return a < b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    default:
      return a >= b;
  }
}

/** Whether an expression is a constant, as Terraform allows in a variable definitions file (no references, no function calls). */
function constantExpr(x: Expr): boolean {
  if (x.k === 'lit') return true;
  if (x.k === 'tpl') return x.parts.every((p) => typeof p === 'string');
  if (x.k === 'tuple') return x.items.every(constantExpr);
  if (x.k === 'object') return x.items.every((i) => (i.bareKey || constantExpr(i.key)) && constantExpr(i.value));
  if (x.k === 'un') return x.op === '-' && constantExpr(x.x);
  return x.k === 'paren' && constantExpr(x.x);
}

/**
 * `format("%s/files/x.sh", path.module)` as the template `${path.module}/files/x.sh` it makes, for a
 * file path: a literal format string whose verbs are `%s` only (no width, no `%%`), one argument each;
 * undefined for any other expression.
 */
function formatParts(e: Expr): (string | Expr)[] | undefined {
  if (e.k !== 'call' || e.name !== 'format' || e.expand || e.args.length < 1) return undefined;
  const f = e.args[0]!;
  const literal = f.k === 'tpl' && f.parts.every((p) => typeof p === 'string') ? f.parts.join('') : undefined;
  if (literal === undefined || /%(?!s)/.test(literal)) return undefined;
  const pieces = literal.split('%s');
  if (pieces.length !== e.args.length) return undefined;
  const out: (string | Expr)[] = [];
  pieces.forEach((piece, i) => {
    if (i > 0) out.push(e.args[i]!);
    if (piece !== '') out.push(piece);
  });
  return out;
}

/**
 * What decides a resource's or data source's attribute the doctor cannot know. A data source is read
 * while Terraform plans (its arguments known), so a plan carries what it returns. A resource's
 * computed attribute is "known after apply" in a plan made before the resource exists, so that plan
 * does not know it either: the state once applied does, as does a plan made after. Where the cloud
 * picks the attribute itself when it creates the resource (PICKED_AT_CREATE, with the cloud's facts),
 * the fix says so.
 */
function afterApplyFix(mode: 'resource' | 'data', type: string, address: string, attr: string): string {
  if (mode === 'data') return `give \`terraform show -json\` of a plan: Terraform reads ${address} while it plans, so the plan carries its ${attr}`;
  const picked = PICKED_AT_CREATE.get(type);
  const why = picked?.attributes.includes(attr) === true ? ` (${picked.words})` : '';
  return `give \`terraform show -json\` of the state once ${address} is applied, or of a plan made after it exists: a plan made before does not know its ${attr} either${why}`;
}
