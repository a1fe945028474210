/** Reads a nested value from emitted data (objects and arrays alike); undefined when the path is missing. */
export function get(o: unknown, ...path: (string | number)[]): unknown {
  let cur = o;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

/**
 * The value at `path` when it is a string, else '' (a number, a table or a list where a name is
 * due names nothing). Never `String(get(…))`: a TOML table is an object without a prototype, which
 * String() cannot convert (TypeError), and a config.toml may hold one anywhere.
 */
export function getText(o: unknown, ...path: (string | number)[]): string {
  const v = get(o, ...path);
  return typeof v === 'string' ? v : '';
}

/** A value in a message: a string or other primitive as String() writes it; a table or list (which String() may not convert) as JSON. */
export function shown(v: unknown): string {
  return v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);
}
