import type { TerraformRoot } from '../../artifacts.js';
import { META_ARGUMENTS, type BlockSchema, type ProviderSchema } from './types.js';
import { AZURERM } from './azurerm.js';
import { GITLAB } from './gitlab.js';
import { KUBERNETES } from './kubernetes.js';

export { AZURERM, GITLAB, KUBERNETES };
export type { BlockSchema, ProviderSchema };

/** Providers checked by table (no provider mirror here), by their local name. */
export const TABLE_CHECKED_PROVIDERS: Readonly<Record<string, ProviderSchema>> = { azurerm: AZURERM, gitlab: GITLAB, kubernetes: KUBERNETES };

/** A block schema's arguments as a set (meta-arguments included where they apply), built once per schema. */
const argumentSets = new WeakMap<BlockSchema, { plain: ReadonlySet<string>; meta: ReadonlySet<string> }>();
function argumentsOf(schema: BlockSchema, meta: boolean): ReadonlySet<string> {
  let sets = argumentSets.get(schema);
  if (sets === undefined) {
    sets = { plain: new Set(schema.attributes), meta: new Set([...META_ARGUMENTS, ...schema.attributes]) };
    argumentSets.set(schema, sets);
  }
  return meta ? sets.meta : sets.plain;
}

/** A block schema's attributes and exports: what a reference may name. */
const exportSets = new WeakMap<BlockSchema, ReadonlySet<string>>();
function referenceableOf(schema: BlockSchema): ReadonlySet<string> {
  let set = exportSets.get(schema);
  if (set === undefined) {
    set = new Set([...schema.attributes, ...(schema.exports ?? [])]);
    exportSets.set(schema, set);
  }
  return set;
}

function checkBlock(out: string[], where: string, body: unknown, schema: BlockSchema, meta: boolean): void {
  if (!Array.isArray(body)) {
    checkOneBlock(out, where, body, schema, meta);
    return;
  }
  for (let i = 0; i < body.length; i++) checkOneBlock(out, where, body[i], schema, meta);
}

// Index and for-in loops, no list of the bodies or of the keys: this runs for every block of plan's
// roots, mostly before V8 optimises it, where for-of and Object.keys allocated 8.4 MB at 1,000 AKS runners.
function checkOneBlock(out: string[], where: string, b: unknown, schema: BlockSchema, meta: boolean): void {
  if (b === null || typeof b !== 'object') {
    out.push(`${where}: expected a block, got ${JSON.stringify(b)}`);
    return;
  }
  const allowed = argumentsOf(schema, meta);
  const rec = b as Record<string, unknown>;
  // Own keys in Object.keys' order: a body is plain data (emitted, or parsed by the doctor), and
  // for-in adds only inherited enumerable keys, which hasOwn leaves out.
  for (const k in rec) {
    if (!Object.hasOwn(rec, k) || allowed.has(k)) continue;
    const nested = schema.blocks !== undefined && Object.hasOwn(schema.blocks, k) ? schema.blocks[k] : undefined;
    if (nested) checkBlock(out, `${where}.${k}`, rec[k], nested, false);
    else out.push(`${where}.${k}: not an argument or block of this type`);
  }
  const required = schema.required;
  if (required !== undefined) for (let i = 0; i < required.length; i++) if (!(required[i]! in rec)) out.push(`${where}.${required[i]}: required argument missing`);
}

/**
 * The texts a reference the check looks at must contain: `${<name>` or `${data.<name>` for a
 * provider name of the table (a reference type is `[a-z0-9_]+`, its provider the part before the
 * first `_`).
 */
function referenceNeedles(providers: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(providers).flatMap((n) => [`\${${n}`, `\${data.${n}`]);
}

const REF = /\$\{(data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)(\.[^}]*)?\}/g;

/**
 * The matches of REF in `JSON.stringify(root)`, in order, found without building that text: the
 * JSON texts of the keys and strings that contain `${`, in the order JSON.stringify writes them,
 * each scanned alone. A match can leave its string only through `(\.[^}]*)` when no `}` follows
 * the last `${` of that string; then (never for generated roots) the whole text is scanned as
 * before. None when no key or string contains a needle (the AWS root): no text is built then.
 */
export function referenceMatches(root: unknown, needles: readonly string[], collected?: readonly string[]): RegExpExecArray[] {
  return referenceTexts(root, needles, collected).flatMap((s) => [...s.matchAll(REF)]);
}

/**
 * The JSON texts referenceMatches finds its matches in, in order: the whole root's, or those of
 * the keys and strings holding `${` (none when no needle is in any of them).
 */
function referenceTexts(root: unknown, needles: readonly string[], collected?: readonly string[]): string[] {
  const texts: string[] = [];
  let needled = false;
  const seen = (s: string) => {
    if (!s.includes('${')) return;
    texts.push(s);
    if (!needled && needles.some((n) => s.includes(n))) needled = true;
  };
  // `collected`: those texts, gathered by a walk the caller makes anyway (verify's credential
  // scan, see templateTexts in verify/secrets.ts), so the root is not walked twice.
  if (collected !== undefined) for (const s of collected) seen(s);
  const walk = (v: unknown): void => {
    if (typeof v === 'string') seen(v);
    else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) walk(v[i]);
    else if (v !== null && typeof v === 'object') {
      const rec = v as Record<string, unknown>;
      for (const k in rec) {
        if (!Object.hasOwn(rec, k)) continue;
        const x = rec[k];
        // JSON.stringify leaves out keys whose values it cannot write.
        if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
        seen(k);
        walk(x);
      }
    }
  };
  if (collected === undefined) walk(root);
  if (!needled) return [];
  if (texts.some((s) => !s.includes('}', s.lastIndexOf('${')))) return [JSON.stringify(root)];
  return texts.map((s) => JSON.stringify(s));
}

/**
 * Checks every provider block, resource and data source of a root against the tables, and
 * every `${type.name.attr}` reference against the referenced block's arguments and exports.
 * Returns the problems found (empty: all known). Types of providers not in the tables (aws) are skipped.
 */
export function checkTerraformRoot(root: TerraformRoot, providers: Readonly<Record<string, ProviderSchema>> = TABLE_CHECKED_PROVIDERS, templateTexts?: readonly string[]): string[] {
  const out: string[] = [];
  // Own names only: a reference type such as `constructor_x` is no provider's.
  const own = (name: string) => (Object.hasOwn(providers, name) ? providers[name] : undefined);
  // A root names few types many times: each type's provider is looked up once.
  const providerOfType = new Map<string, ProviderSchema | undefined>();
  const providerOf = (type: string) => {
    if (providerOfType.has(type)) return providerOfType.get(type);
    const cut = type.indexOf('_');
    const p = own(cut === -1 ? type : type.slice(0, cut));
    providerOfType.set(type, p);
    return p;
  };
  for (const [name, cfg] of Object.entries(root.provider ?? {})) {
    const p = own(name);
    if (!p) continue;
    checkBlock(out, `provider.${name}`, cfg, p.provider, false);
    const required = (root.terraform.required_providers as Record<string, { source?: string }> | undefined)?.[name];
    if (required?.source !== p.source) out.push(`terraform.required_providers.${name}: source must be ${p.source}`);
  }
  const kinds: [string, Record<string, Record<string, Record<string, unknown>>> | undefined, 'resources' | 'dataSources'][] = [
    ['resource', root.resource, 'resources'],
    ['data', root.data, 'dataSources'],
  ];
  for (const [kind, blocks, table] of kinds) {
    for (const [type, byName] of Object.entries(blocks ?? {})) {
      const p = providerOf(type);
      if (!p) continue;
      const schema = p[table][type];
      if (!schema) {
        out.push(`${kind}.${type}: not a ${table === 'resources' ? 'resource' : 'data source'} type in the ${p.source} table`);
        continue;
      }
      for (const name in byName) if (Object.hasOwn(byName, name)) checkBlock(out, `${kind}.${type}.${name}`, byName[name], schema, true);
    }
  }
  // References: the target must exist and export the attribute. Only references whose type
  // resolves to a provider of the table matter, and each needs `${<name>` or `${data.<name>` in
  // the text: without one anywhere (the AWS root), the whole-root text scan is skipped. A
  // reference's problem depends on its text alone (and problems are listed once): each distinct
  // reference is checked once, in the order of first appearance.
  const checked = new Set<string>();
  for (const text of referenceTexts(root, referenceNeedles(providers), templateTexts)) {
    REF.lastIndex = 0;
    for (let m = REF.exec(text); m !== null; m = REF.exec(text)) {
      const ref = m[0];
      if (checked.has(ref)) continue;
      checked.add(ref);
      const [, data, type, name, attr] = m as unknown as [string, string | undefined, string, string, string];
      if (type === 'var' || type === 'local') continue;
      const p = providerOf(type);
      if (!p) continue;
      const target = data ? root.data?.[type]?.[name] : root.resource[type]?.[name];
      const schema = data ? p.dataSources[type] : p.resources[type];
      if (!target) out.push(`reference ${ref}: no such ${data ? 'data source' : 'resource'} in this root`);
      else if (schema && !referenceableOf(schema).has(attr)) out.push(`reference ${ref}: ${type} has no attribute ${attr}`);
    }
  }
  return [...new Set(out)];
}
