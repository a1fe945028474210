/** A plain object as parsed data holds it (JSON, YAML, TOML, HCL): not null, not an array. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
