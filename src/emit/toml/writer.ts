/**
 * A direct TOML writer for the documents runner-fleet emits (`config.toml`, `fargate.toml`, the
 * chart's `runners.config`): plain objects, arrays, strings, safe integers, finite numbers and
 * booleans. It writes, byte for byte, what smol-toml's `stringify` writes for those documents
 * (tables before their sub-tables, `[[arrays of tables]]`, inline arrays `[ a, b ]` and inline
 * tables `{ k = v }`, basic strings escaped as JSON does plus U+007F), with fewer intermediate
 * strings: at 1,000 VM runners TOML was a sixth of emit. test/toml-writer.test.ts compares both
 * on thousands of generated documents and parses every output back with smol-toml.
 *
 * Anything else (null or undefined inside an array or inline table, a Date or class instance,
 * a non-finite or unsafe number, a lone surrogate in a key, very deep nesting) makes
 * `writeToml` return undefined, and the caller falls back to smol-toml.
 */

class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported('unsupported by the direct TOML writer');
const MAX_DEPTH = 100;
const BARE_KEY = /^[A-Za-z0-9_-]+$/;
// ES2024 string methods (Node 20 has them; the project's TypeScript lib is ES2023).
const wellFormed = String.prototype as unknown as { isWellFormed(this: string): boolean; toWellFormed(this: string): string };

export function writeToml(doc: Record<string, unknown>): string | undefined {
  if (!isTable(doc)) return undefined;
  try {
    const out = table('', doc, '', 0);
    return out.endsWith('\n') ? out : `${out}\n`;
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
}

/** A plain object (what `extendedTypeOf` calls 'object' among the values runner-fleet emits). */
function isTable(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function isArrayOfTables(v: unknown[]): boolean {
  if (v.length === 0) return false;
  for (const x of v) {
    if (x !== null && typeof x === 'object' && !Array.isArray(x) && !isTable(x)) throw UNSUPPORTED;
    if (!isTable(x)) return false;
  }
  return true;
}

/** A table's key=value lines, then its sub-tables; its header only when it has lines or nothing else. */
function table(header: string, obj: Record<string, unknown>, prefix: string, depth: number): string {
  if (depth > MAX_DEPTH) throw UNSUPPORTED;
  let lines = '';
  let tables = '';
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (v === null || v === undefined) continue;
    const name = key(k);
    if (Array.isArray(v) && isArrayOfTables(v)) {
      const path = prefix ? `${prefix}.${name}` : name;
      let arr = '';
      for (const item of v) {
        arr += `${arr && '\n'}[[${path}]]\n`;
        arr += table('', item as Record<string, unknown>, path, depth + 1);
      }
      tables += (tables && '\n') + arr;
    } else if (typeof v === 'object' && !Array.isArray(v)) {
      if (!isTable(v)) throw UNSUPPORTED;
      const path = prefix ? `${prefix}.${name}` : name;
      tables += (tables && '\n') + table(path, v, path, depth + 1);
    } else {
      lines += `${name} = ${value(v, depth)}\n`;
    }
  }
  if (header && (lines || !tables)) lines = lines ? `[${header}]\n${lines}` : `[${header}]`;
  return lines && tables ? `${lines}\n${tables}` : lines || tables;
}

function value(v: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw UNSUPPORTED;
  switch (typeof v) {
    case 'string':
      return str(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (Number.isSafeInteger(v) || (Number.isFinite(v) && !Number.isInteger(v))) return String(v);
      throw UNSUPPORTED;
    case 'object': {
      if (Array.isArray(v)) {
        if (v.length === 0) return '[]';
        let out = '[ ';
        for (let i = 0; i < v.length; i++) {
          if (i) out += ', ';
          out += value(v[i], depth + 1);
        }
        return `${out} ]`;
      }
      if (!isTable(v)) throw UNSUPPORTED;
      const keys = Object.keys(v);
      if (keys.length === 0) return '{}';
      let out = '{ ';
      for (let i = 0; i < keys.length; i++) {
        if (i) out += ', ';
        out += `${key(keys[i]!)} = ${value(v[keys[i]!], depth + 1)}`;
      }
      return `${out} }`;
    }
    case 'undefined':
    case 'bigint':
    case 'symbol':
    case 'function':
      throw UNSUPPORTED;
  }
}

function key(k: string): string {
  if (BARE_KEY.test(k)) return k;
  if (!wellFormed.isWellFormed.call(k)) throw UNSUPPORTED;
  return str(k);
}

/** A basic string: printable ASCII but `"` and `\` as is; anything else escaped as JSON does, plus DEL. */
function str(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return JSON.stringify(wellFormed.toWellFormed.call(s)).replaceAll('\x7f', '\\u007f');
  }
  return `"${s}"`;
}
