import type { Body, Expr } from './ast.js';
import { LineIndex } from './ast.js';
import { parseJsonTemplate } from './parse.js';
import { typeConstraint, type TypeConstraint } from './types.js';
import type { Origin, Position } from '../source.js';
import { isObject } from '../../model/is-object.js';
import type { Unknown, Value } from './eval.js';

/**
 * Terraform configuration as written — HCL (`.tf`) and JSON (`.tf.json`) mapped to one model —
 * before evaluation: blocks with attribute expressions. One evaluator (eval.ts) turns it into the
 * resource bodies the proofs read.
 */

/** Where an expression's text lives: its file, the text its offsets index, positions. */
export interface Loc {
  file: string;
  text: string;
  pos(offset: number): Position;
  /**
   * `.tf.json`: its values are numbered (`json.id`), and an expression made from one carries the
   * number as its offset (`at`, 0: the loc's own value), so `pos` finds the value's place in the
   * file; `inString` the place of character `offset` of the string value numbered `at`.
   */
  json?: { path: readonly (string | number)[]; id(path: readonly (string | number)[]): number; inString(at: number, offset: number): Position };
}

export interface ConfigAttr {
  name: string;
  expr: Expr;
  loc: Loc;
}

export interface ConfigBody {
  attrs: ConfigAttr[];
  blocks: { type: string; labels: string[]; body: ConfigBody; loc: Loc; at: number }[];
}

export interface ConfigBlock {
  mode: 'resource' | 'data';
  type: string;
  name: string;
  body: ConfigBody;
  loc: Loc;
  at: number;
  origin: Origin;
}

/** One Terraform module: every `.tf` and `.tf.json` file of one folder. */
export interface ConfigModule {
  dir: string;
  blocks: ConfigBlock[];
  locals: Map<string, { expr: Expr; loc: Loc; at: number }>;
  variables: Map<string, VariableDecl>;
  /** The variable definitions files of the folder (`.tfvars`, `.tfvars.json`), as a root reads them (VarFiles). */
  varFiles?: VarFiles;
  /** `module` calls: `body` holds the arguments (and count, for_each, providers) as written. */
  modules: Map<string, ConfigModuleCall>;
  /** `output` blocks: what `module.<name>.<output>` reads from a caller. */
  outputs: Map<string, { expr: Expr; loc: Loc; at: number }>;
  /** `provider` blocks (the aws provider's region, allowed_account_ids, default_tags are read). */
  providers: ConfigProvider[];
  /** A public registry module's stand-in (registry-modules.ts): its text is the doctor's, never shown as the user's. */
  standIn?: true;
  /** A public module that creates nothing (registry-modules.ts CREATES_NOTHING): its outputs are not evaluated, but for `outputsOf`'s. */
  createsNothing?: true;
  /**
   * Of such a module, the outputs that are a plain function of the call's arguments (registry-modules.ts):
   * an output's value from the arguments' (`arg`: undefined where the call does not set it), `notEvaluated`
   * standing for a part it does not evaluate; undefined for an output it does not read.
   */
  outputsOf?: (name: string, arg: (name: string) => Value | undefined, notEvaluated: (what: string) => Unknown) => Value | undefined;
  /** Files of the module that are not valid HCL (RF901): a name declared in none of the others may be declared there. */
  unreadable?: string[];
  /** Every file of the module's folder was given (a walk of the folder read them all): a name none declares is declared nowhere. */
  wholeFolder?: true;
}

/** A `variable` block: `type`, the declared type constraint (types.ts), which every value the variable takes is converted to. */
export interface VariableDecl {
  default?: Expr;
  type?: TypeConstraint;
  loc: Loc;
  at: number;
  /** `sensitive = true`: a value a variable definitions file gives it is never shown. */
  sensitive?: true;
}

/** A value a variable definitions file gives a variable: an HCL expression (`.tfvars`), or a JSON value (`.tfvars.json`) and where it is written. */
export type VarFileValue = { file: string } & ({ expr: Expr; loc: Loc } | { json: unknown; at?: () => Position });

/**
 * The variable definitions files of a root's folder. Terraform loads `terraform.tfvars`, then
 * `terraform.tfvars.json`, then every `*.auto.tfvars` and `*.auto.tfvars.json` in lexical order of
 * their names, a later value replacing an earlier one; other `.tfvars` files only when a run names
 * them (`-var-file`). A called module's folder has none: its variables are its caller's arguments.
 * Source: Terraform's "Variable Definition Precedence" (developer.hashicorp.com/terraform/language/
 * values/variables): environment variables, then terraform.tfvars, then terraform.tfvars.json, then
 * any *.auto.tfvars or *.auto.tfvars.json files "processed in lexical order of their filenames",
 * then -var and -var-file in the order given, later sources taking precedence over earlier ones.
 */
export interface VarFiles {
  /** What Terraform loads itself: per variable, the value that applies, with its file's place in that order. */
  loaded: Map<string, VarFileValue & { rank: string }>;
  /** What only a `-var-file` run reads: per variable, each file's value. */
  optional: Map<string, VarFileValue[]>;
  /** Files Terraform loads itself that are not valid HCL or JSON (RF901 at `at`, the parser's position): any variable may be set there. */
  unreadable?: { file: string; rank: string; at: Position }[];
}

/** A variable definitions file's place in Terraform's own load order; undefined: read only with `-var-file`. */
export function varFileRank(path: string): string | undefined {
  const base = path.replace(/^.*[\\/]/, '');
  if (base === 'terraform.tfvars') return '0';
  if (base === 'terraform.tfvars.json') return '1';
  return /\.auto\.tfvars(\.json)?$/.test(base) ? `2${base}` : undefined;
}

/** Records the values of one variable definitions file in its folder's VarFiles. */
export function addVarFileValue(files: VarFiles, name: string, value: VarFileValue): void {
  const rank = varFileRank(value.file);
  if (rank === undefined) {
    const list = files.optional.get(name);
    if (list) list.push(value);
    else files.optional.set(name, [value]);
    return;
  }
  const before = files.loaded.get(name);
  if (before === undefined || before.rank < rank) files.loaded.set(name, { ...value, rank });
}

export interface ConfigModuleCall {
  loc: Loc;
  at: number;
  source?: string;
  /** The `version` constraint, when written as a plain string. */
  version?: string;
  body?: ConfigBody;
  /** Where the module block is (what a registry module's stand-in creates is located there). */
  origin?: Origin;
}

export interface ConfigProvider {
  name: string;
  body: ConfigBody;
  loc: Loc;
  at: number;
  origin: Origin;
}

/** Arguments of a module block that are Terraform's own, not variables of the module. */
export const MODULE_META: ReadonlySet<string> = new Set(['source', 'version', 'count', 'for_each', 'providers', 'depends_on']);

/** The text of a quoted string without interpolation; undefined for anything else. */
export function literalString(e: Expr | undefined): string | undefined {
  return e?.k === 'tpl' && e.parts.every((p) => typeof p === 'string') ? e.parts.join('') : undefined;
}

export function emptyModule(dir: string): ConfigModule {
  return { dir, blocks: [], locals: new Map(), variables: new Map(), modules: new Map(), outputs: new Map(), providers: [] };
}

export function hclLoc(file: string, text: string): Loc {
  const lines = new LineIndex(text);
  return { file, text, pos: (o) => ({ file, ...lines.pos(o) }) };
}

/** Adds an HCL file's top-level blocks to its module. Positions go to `mark` (path → offset). */
export function addHclBody(mod: ConfigModule, body: Body, loc: Loc, originOf: (path: string[]) => Origin, mark: (path: (string | number)[], offset: number) => void): string[] {
  const problems: string[] = [];
  // A block is a list (metadata[0].annotations); a reader that holds the first one as an object
  // (the kubernetes provider's metadata.annotations, a .tf.json block written as an object) asks for
  // the path without the index: `alias` is that path, kept while every block on the way is the first.
  const toBody = (b: Body, path: (string | number)[], alias: (string | number)[] | undefined): ConfigBody => {
    const out: ConfigBody = { attrs: [], blocks: [] };
    for (const a of b.attrs) {
      out.attrs.push({ name: a.name, expr: a.expr, loc });
      mark([...path, a.name], a.expr.at);
      markExpr(a.expr, [...path, a.name], mark);
      if (alias !== undefined && alias.length !== path.length) {
        mark([...alias, a.name], a.expr.at);
        markExpr(a.expr, [...alias, a.name], mark);
      }
    }
    const seen = new Map<string, number>();
    for (const x of b.blocks) {
      const n = seen.get(x.type) ?? 0;
      seen.set(x.type, n + 1);
      if (n === 0) mark([...path, x.type], x.at);
      mark([...path, x.type, n], x.at);
      if (n === 0 && alias !== undefined) mark([...alias, x.type], x.at);
      out.blocks.push({ type: x.type, labels: x.labels, body: toBody(x.body, [...path, x.type, n], n === 0 && alias !== undefined ? [...alias, x.type] : undefined), loc, at: x.at });
    }
    return out;
  };
  for (const b of body.blocks) {
    if ((b.type === 'resource' || b.type === 'data') && b.labels.length === 2) {
      const [type, name] = b.labels as [string, string];
      const path = [b.type, type, name];
      mark(path, b.at);
      mod.blocks.push({ mode: b.type, type, name, body: toBody(b.body, path, path), loc, at: b.at, origin: originOf(path) });
    } else if (b.type === 'locals') {
      for (const a of b.body.attrs) {
        mod.locals.set(a.name, { expr: a.expr, loc, at: a.at });
        mark(['locals', a.name], a.expr.at);
      }
    } else if (b.type === 'variable' && b.labels.length === 1) {
      const d = b.body.attrs.find((a) => a.name === 'default');
      const t = b.body.attrs.find((a) => a.name === 'type')?.expr;
      const sensitive = b.body.attrs.find((a) => a.name === 'sensitive')?.expr;
      mod.variables.set(b.labels[0]!, { ...(d ? { default: d.expr } : {}), ...(t ? { type: typeConstraint(t) } : {}), loc, at: b.at, ...(sensitive?.k === 'lit' && sensitive.v === true ? { sensitive: true as const } : {}) });
    } else if (b.type === 'module' && b.labels.length === 1) {
      const source = literalString(b.body.attrs.find((a) => a.name === 'source')?.expr);
      const version = literalString(b.body.attrs.find((a) => a.name === 'version')?.expr);
      const path = ['module', b.labels[0]!];
      mark(path, b.at);
      mod.modules.set(b.labels[0]!, { loc, at: b.at, ...(source !== undefined ? { source } : {}), ...(version !== undefined ? { version } : {}), body: toBody(b.body, path, undefined), origin: originOf(path) });
    } else if (b.type === 'output' && b.labels.length === 1) {
      const v = b.body.attrs.find((a) => a.name === 'value');
      if (v) mod.outputs.set(b.labels[0]!, { expr: v.expr, loc, at: v.expr.at });
    } else if (b.type === 'provider' && b.labels.length === 1) {
      const path = ['provider', b.labels[0]!, String(mod.providers.filter((p) => p.name === b.labels[0]).length)];
      mark(path, b.at);
      mod.providers.push({ name: b.labels[0]!, body: toBody(b.body, path, undefined), loc, at: b.at, origin: originOf(path) });
    } else if (b.type === 'resource' || b.type === 'data' || b.type === 'variable' || b.type === 'module' || b.type === 'provider') {
      problems.push(`${b.type} block with ${b.labels.length} label(s)`);
    }
  }
  return problems;
}

/** Positions of object keys and tuple items inside an attribute (jsonencode({...}) and yamlencode({...}) included). */
function markExpr(e: Expr, path: (string | number)[], mark: (path: (string | number)[], offset: number) => void): void {
  if (e.k === 'call' && (e.name === 'jsonencode' || e.name === 'yamlencode') && e.args.length === 1) markExpr(e.args[0]!, path, mark);
  else if (e.k === 'paren') markExpr(e.x, path, mark);
  else if (e.k === 'tuple') e.items.forEach((x, i) => (mark([...path, i], x.at), markExpr(x, [...path, i], mark)));
  else if (e.k === 'object') {
    for (const it of e.items) {
      const key = it.bareKey && it.key.k === 'var' ? it.key.name : it.key.k === 'tpl' && it.key.parts.every((p) => typeof p === 'string') ? it.key.parts.join('') : undefined;
      if (key === undefined) continue;
      mark([...path, key], it.value.at);
      markExpr(it.value, [...path, key], mark);
    }
  }
}

/**
 * A JSON value of a `.tf.json` file as an expression: strings are templates (`${…}`). With the
 * loc's numbering (`Loc.json`), every value inside carries its own number, so a finding about it
 * (or about a reference inside a string of it) points at it, not at the attribute around it.
 */
export function jsonExpr(v: unknown, loc: Loc, path: readonly (string | number)[] = loc.json?.path ?? []): Expr {
  const at = loc.json && path !== loc.json.path ? loc.json.id(path) : 0;
  const span = { at, end: at };
  if (typeof v === 'string') {
    if (!v.includes('${') && !v.includes('%{')) return { k: 'lit', v, ...span };
    try {
      return { k: 'json', text: v, x: parseJsonTemplate(v), ...span };
    } catch {
      return { k: 'lit', v, ...span };
    }
  }
  if (v === null || typeof v === 'boolean' || typeof v === 'number') return { k: 'lit', v, ...span };
  if (Array.isArray(v)) return { k: 'tuple', items: v.map((x, i) => jsonExpr(x, loc, [...path, i])), ...span };
  if (typeof v === 'object') {
    return { k: 'object', items: Object.entries(v as Record<string, unknown>).map(([key, value]) => ({ key: { k: 'lit', v: key, ...span }, value: jsonExpr(value, loc, [...path, key]), bareKey: false })), ...span };
  }
  return { k: 'lit', v: null, ...span };
}

/** The loc of the expression inside a `.tf.json` string (its offsets index the string's text): each offset at its own character in the file. */
export function jsonStringLoc(loc: Loc, e: Expr & { k: 'json' }): Loc {
  const json = loc.json;
  return { file: loc.file, text: e.text, pos: json ? (offset) => json.inString(e.at, offset) : () => loc.pos(e.at) };
}

/**
 * A `.tf.json` body: every key is an attribute (JSON syntax does not tell nested blocks from
 * object attributes; both evaluate to the same shape), except `dynamic`: Terraform's JSON syntax
 * writes a `dynamic "<label>"` block as `"dynamic": { "<label>": { "for_each", "iterator",
 * "content" } }`, which becomes the same `dynamic` block as in HCL, so it is expanded the same way
 * and `<label>.value` (or `<iterator>.value`) in its content is the iterator, not a resource.
 * Module call arguments (`dynamic: false`) take no blocks. Positions come from `locOf`, given the
 * path inside this body; the expressions' offsets index the JSON string they came from.
 */
export function jsonBody(body: Record<string, unknown>, locOf: (path: (string | number)[]) => Loc, opts: { dynamic: boolean } = { dynamic: true }): ConfigBody {
  const out: ConfigBody = { attrs: [], blocks: [] };
  for (const [name, v] of Object.entries(body)) {
    const blocks = name === 'dynamic' && opts.dynamic ? jsonDynamicBlocks(v, locOf) : undefined;
    if (blocks) out.blocks.push(...blocks);
    else out.attrs.push({ name, expr: jsonExpr(v, locOf([name])), loc: locOf([name]) });
  }
  return out;
}

/**
 * The `dynamic` blocks of a `.tf.json` body: an object of labels (or a list of such objects), each
 * label one block body or a list of them. Undefined when the value has another shape: it is then
 * read as an attribute, as before.
 */
function jsonDynamicBlocks(v: unknown, locOf: (path: (string | number)[]) => Loc): ConfigBody['blocks'] | undefined {
  type Path = (string | number)[];
  const groups: [unknown, Path][] = Array.isArray(v) ? v.map((g: unknown, i) => [g, ['dynamic', i]]) : [[v, ['dynamic']]];
  const out: ConfigBody['blocks'] = [];
  for (const [group, at] of groups) {
    if (!isObject(group)) return undefined;
    for (const [label, raw] of Object.entries(group)) {
      const bodies: [unknown, Path][] = Array.isArray(raw) ? raw.map((b: unknown, i) => [b, [...at, label, i]]) : [[raw, [...at, label]]];
      for (const [b, path] of bodies) {
        if (!isObject(b)) return undefined;
        const inner: ConfigBody = { attrs: [], blocks: [] };
        for (const [name, x] of Object.entries(b)) {
          const loc = locOf([...path, name]);
          if (name === 'content' && isObject(x)) inner.blocks.push({ type: 'content', labels: [], body: jsonBody(x, (p) => locOf([...path, 'content', ...p])), loc, at: 0 });
          // The iterator is an identifier, written in JSON as a string holding it.
          else if (name === 'iterator' && typeof x === 'string') inner.attrs.push({ name, expr: { k: 'var', name: x, at: 0, end: 0 }, loc });
          else inner.attrs.push({ name, expr: jsonExpr(x, loc), loc });
        }
        out.push({ type: 'dynamic', labels: [label], body: inner, loc: locOf(path), at: 0 });
      }
    }
  }
  return out;
}
