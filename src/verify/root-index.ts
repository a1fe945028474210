/**
 * Tables derived from a Terraform root's resources (each bucket policy by the bucket it is for), made
 * once and kept while the root is unchanged: a proof that scans a resource type per runner grows
 * with the square of the runners of many deployments given together.
 *
 * A generated fleet's roots never change after emit. The doctor's do, while it reads them (rekey
 * renames resources and rewrites the references to them, the account is settled into the strings):
 * every such change goes through src/doctor/key-index.ts (changeBody, keyMoved), which counts it
 * here. A table made before a change is made again at its next use.
 */
let changes = 0;

/** A resource of some root was added, moved or rewritten (src/doctor/key-index.ts, the one caller). */
export function rootChanged(): void {
  changes++;
}

type Tables = Map<string, { at: number; table: unknown }>;
const tables = new WeakMap<object, Tables>();

/** The table `name` of `root`, made by `make` on first use and again after any change to a root. */
export function rootTable<T>(root: object, name: string, make: () => T): T {
  let byName = tables.get(root);
  if (!byName) tables.set(root, (byName = new Map() as Tables));
  const hit = byName.get(name);
  if (hit && hit.at === changes) return hit.table as T;
  const table = make();
  byName.set(name, { at: changes, table });
  return table;
}
