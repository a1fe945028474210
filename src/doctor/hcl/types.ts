/**
 * Terraform type constraints (`type = object({ name = string, tags = optional(map(string), {}) })`)
 * read from a variable block, for the conversion Terraform applies to every value a variable takes
 * (its default, a module call's argument): object attributes the type declares `optional` are
 * filled with their default (or null), attributes it does not declare are dropped, elements of
 * collections are converted one by one, and primitives convert (5 → "5" for a string). The syntax
 * only is read here; eval.ts converts values.
 */
import type { Expr } from './ast.js';

export interface ObjectAttribute {
  type: TypeConstraint;
  optional: boolean;
  /** `optional(T, default)`: the default, evaluated where the variable is declared. */
  default?: Expr;
}

export type TypeConstraint =
  | { k: 'any' | 'string' | 'number' | 'bool' }
  | { k: 'list' | 'set' | 'map'; of: TypeConstraint }
  | { k: 'tuple'; items: TypeConstraint[] }
  | { k: 'object'; attrs: Map<string, ObjectAttribute> };

const ANY: TypeConstraint = { k: 'any' };
const PRIMITIVES = new Set(['any', 'string', 'number', 'bool']);
const COLLECTIONS = new Set(['list', 'set', 'map']);

/** The type an expression states; `any` for what is not a type expression Terraform knows (nothing is refused here). */
export function typeConstraint(e: Expr | undefined, json?: string): TypeConstraint {
  if (!e) return ANY;
  const inner = (x: Expr | undefined) => typeConstraint(x, json);
  switch (e.k) {
    case 'paren':
      return inner(e.x);
    case 'json':
      // A `.tf.json` type string: the offsets of what it holds index its own text.
      return typeConstraint(e.x, e.text);
    case 'var':
      // A bare `list` or `map` (Terraform 0.11) is a collection of any element type.
      if (PRIMITIVES.has(e.name)) return { k: e.name as 'any' | 'string' | 'number' | 'bool' };
      return COLLECTIONS.has(e.name) ? { k: e.name as 'list' | 'set' | 'map', of: ANY } : ANY;
    case 'lit':
      // `type = "string"`, `type = "list"` (Terraform 0.11's quoted types).
      if (typeof e.v !== 'string') return ANY;
      if (PRIMITIVES.has(e.v)) return { k: e.v as 'any' | 'string' | 'number' | 'bool' };
      return COLLECTIONS.has(e.v) ? { k: e.v as 'list' | 'set' | 'map', of: ANY } : ANY;
    case 'tpl':
    {
      if (e.parts.length !== 1) return ANY;
      const p = e.parts[0]!;
      return typeof p === 'string' ? inner({ k: 'lit', v: p, at: e.at, end: e.end }) : inner(p);
    }
    case 'call': {
      if (COLLECTIONS.has(e.name)) return { k: e.name as 'list' | 'set' | 'map', of: inner(e.args[0]) };
      if (e.name === 'tuple') {
        const items = e.args[0];
        return items?.k === 'tuple' ? { k: 'tuple', items: items.items.map(inner) } : ANY;
      }
      if (e.name === 'object') return objectType(e.args[0], json);
      return ANY;
    }
    case 'attr':
    case 'bin':
    case 'cond':
    case 'tif':
    case 'tfor':
    case 'for':
    case 'index':
    case 'object':
    case 'splat':
    case 'tuple':
    case 'un':
      return ANY;
  }
}

function objectType(e: Expr | undefined, json: string | undefined): TypeConstraint {
  if (e?.k !== 'object') return ANY;
  const attrs = new Map<string, ObjectAttribute>();
  for (const item of e.items) {
    const name = item.key.k === 'var' ? item.key.name : item.key.k === 'lit' && typeof item.key.v === 'string' ? item.key.v : item.key.k === 'tpl' && item.key.parts.length === 1 && typeof item.key.parts[0] === 'string' ? item.key.parts[0] : undefined;
    if (name === undefined) return ANY;
    const v = item.value.k === 'paren' ? item.value.x : item.value;
    const d = v.k === 'call' && v.name === 'optional' ? v.args[1] : undefined;
    if (v.k === 'call' && v.name === 'optional') attrs.set(name, { type: typeConstraint(v.args[0], json), optional: true, ...(d ? { default: json === undefined ? d : { k: 'json', text: json, x: d, at: 0, end: 0 } } : {}) });
    else attrs.set(name, { type: typeConstraint(v, json), optional: false });
  }
  return { k: 'object', attrs };
}
