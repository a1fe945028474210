import type { TerraformRoot } from '../../artifacts.js';
import { META_ARGUMENTS, type BlockSchema, type ProviderSchema } from './types.js';
import { AZURERM } from './azurerm.js';
import { GITLAB } from './gitlab.js';
import { KUBERNETES } from './kubernetes.js';

export { AZURERM, GITLAB, KUBERNETES };
export type { BlockSchema, ProviderSchema };

/** Providers checked by table (no provider mirror here), by their local name. */
export const TABLE_CHECKED_PROVIDERS: Readonly<Record<string, ProviderSchema>> = { azurerm: AZURERM, gitlab: GITLAB, kubernetes: KUBERNETES };

function checkBlock(where: string, body: unknown, schema: BlockSchema, meta: boolean): string[] {
  const out: string[] = [];
  const bodies = Array.isArray(body) ? body : [body];
  for (const b of bodies) {
    if (b === null || typeof b !== 'object') {
      out.push(`${where}: expected a block, got ${JSON.stringify(b)}`);
      continue;
    }
    const rec = b as Record<string, unknown>;
    for (const [k, v] of Object.entries(rec)) {
      if (meta && (META_ARGUMENTS as readonly string[]).includes(k)) continue;
      if (schema.attributes.includes(k)) continue;
      const nested = schema.blocks?.[k];
      if (nested) out.push(...checkBlock(`${where}.${k}`, v, nested, false));
      else out.push(`${where}.${k}: not an argument or block of this type`);
    }
    for (const r of schema.required ?? []) if (!(r in rec)) out.push(`${where}.${r}: required argument missing`);
  }
  return out;
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
    else if (Array.isArray(v)) for (const x of v) walk(x);
    else if (v !== null && typeof v === 'object') {
      const rec = v as Record<string, unknown>;
      for (const k of Object.keys(rec)) {
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
  if (texts.some((s) => !s.includes('}', s.lastIndexOf('${')))) return [...JSON.stringify(root).matchAll(REF)];
  return texts.flatMap((s) => [...JSON.stringify(s).matchAll(REF)]);
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
  const providerOf = (type: string) => own(type.split('_')[0]!);
  for (const [name, cfg] of Object.entries(root.provider ?? {})) {
    const p = own(name);
    if (!p) continue;
    out.push(...checkBlock(`provider.${name}`, cfg, p.provider, false));
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
      for (const [name, body] of Object.entries(byName)) out.push(...checkBlock(`${kind}.${type}.${name}`, body, schema, true));
    }
  }
  // References: the target must exist and export the attribute. Only references whose type
  // resolves to a provider of the table matter, and each needs `${<name>` or `${data.<name>` in
  // the text: without one anywhere (the AWS root), the whole-root text scan is skipped.
  for (const m of referenceMatches(root, referenceNeedles(providers), templateTexts)) {
    const [, data, type, name, attr] = m as unknown as [string, string | undefined, string, string, string];
    if (type === 'var' || type === 'local') continue;
    const p = providerOf(type);
    if (!p) continue;
    const target = data ? root.data?.[type]?.[name] : root.resource[type]?.[name];
    const schema = data ? p.dataSources[type] : p.resources[type];
    if (!target) out.push(`reference ${m[0]}: no such ${data ? 'data source' : 'resource'} in this root`);
    else if (schema && !schema.attributes.includes(attr) && !(schema.exports ?? []).includes(attr)) out.push(`reference ${m[0]}: ${type} has no attribute ${attr}`);
  }
  return [...new Set(out)];
}
