/**
 * Work counted, not timed, for the tests that the doctor grows linearly with the folders it is given
 * (test/doctor-folders-linear*.test.ts): while `run` runs, every array search and listing adds the
 * elements it walks, every Object.keys/values/entries the keys it lists; with `regexSizes`, every
 * string search by a regex adds the regex's size (an alternation of every label is tried label by
 * label); with `lookups`, every Map/Set get, has, set and add adds one (a loop that looks each item up
 * is still a loop); with `listingsOnly`, the object listings alone (a scan of a root's resources of
 * a type per runner, which the rest of the work would drown). The prototypes are restored after
 * `run`, also when it throws.
 */
export function countWork(run: () => void, options: { regexSizes?: boolean; lookups?: boolean; listingsOnly?: boolean } = {}): number {
  let count = 0;
  const restore: (() => void)[] = [];
  const wrap = <T extends object>(owner: T, name: keyof T, size: (self: unknown, args: unknown[], out: unknown) => number) => {
    const f = owner[name] as (...a: unknown[]) => unknown;
    (owner as Record<keyof T, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
      const out = f.apply(this, args);
      count += size(this, args, out);
      return out;
    };
    restore.push(() => ((owner as Record<keyof T, unknown>)[name] = f));
  };
  if (!options.listingsOnly) for (const m of ['find', 'filter', 'some', 'every', 'findIndex', 'includes', 'indexOf', 'map', 'flatMap', 'forEach'] as const) wrap(Array.prototype, m, (self) => (self as unknown[]).length);
  for (const m of ['entries', 'keys', 'values'] as const) wrap(Object, m, (_, __, out) => (out as unknown[]).length);
  if (options.regexSizes) for (const m of ['matchAll', 'replace', 'match', 'split'] as const) wrap(String.prototype, m, (_, [re]) => (re instanceof RegExp ? re.source.length : 0));
  if (options.lookups) {
    for (const m of ['get', 'has', 'set'] as const) wrap(Map.prototype, m, () => 1);
    for (const m of ['has', 'add'] as const) wrap(Set.prototype, m, () => 1);
  }
  try {
    run();
  } finally {
    for (const r of restore.reverse()) r();
  }
  return count;
}
