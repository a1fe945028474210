import type { TerraformRoot } from '../emit/artifacts.js';
import { setOwn } from '../emit/artifacts.js';
import { changeBody } from './key-index.js';

/**
 * Every string of a Terraform root's resources (and, with `data`, of its data sources), at any
 * depth, replaced by `f` of it. The one walk the doctor rewrites a root's texts with (a renamed
 * resource's references, the account stand-in).
 *
 * `copyOnWrite`: a body, or a part of it, is replaced by a changed copy, and only where a string in
 * it changes; the objects and lists it held are left as they were. A root's bodies may be shared
 * (normalizeTerraform copies only the maps by type; the bodies are the evidence's), so a caller
 * whose change must not reach the evidence asks for this. Otherwise strings are replaced in place,
 * in the objects and lists that hold them. Either way the root's maps by type and name are
 * updated in place.
 */
export function mapRootStrings(root: TerraformRoot, f: (s: string) => string, how: { copyOnWrite: boolean; data?: boolean }): void {
  for (const section of how.data === true && root.data ? [root.resource, root.data] : [root.resource]) {
    for (const byName of Object.values(section)) {
      for (const name of Object.keys(byName)) mapBodyStrings(byName, name, f, how);
    }
  }
}

/** mapRootStrings over one body, `byName[name]` (replaced by its changed copy with `copyOnWrite`). */
export function mapBodyStrings(byName: Record<string, Record<string, unknown>>, name: string, f: (s: string) => string, how: { copyOnWrite: boolean }): void {
  const map = (v: unknown): unknown => {
    if (typeof v === 'string') return f(v);
    if (Array.isArray(v)) {
      let out: unknown[] | undefined;
      v.forEach((x, i) => {
        const y = map(x);
        if (y !== x) (how.copyOnWrite ? (out ??= [...(v as unknown[])]) : v)[i] = y;
      });
      return out ?? v;
    }
    if (v !== null && typeof v === 'object') {
      let out: Record<string, unknown> | undefined;
      for (const k of Object.keys(v)) {
        const x = (v as Record<string, unknown>)[k];
        const y = map(x);
        if (y !== x) setOwn(how.copyOnWrite ? (out ??= { ...(v as Record<string, unknown>) }) : (v as Record<string, unknown>), k, y);
      }
      return out ?? v;
    }
    return v;
  };
  // The indexes over the map follow what changes (key-index.ts).
  changeBody(byName, name, () => {
    const body = byName[name]!;
    const y = map(body);
    if (y !== body) setOwn(byName, name, y as Record<string, unknown>);
  });
}
