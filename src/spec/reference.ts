/**
 * The spec reference in Markdown, generated from the JSON Schema (which is generated from the
 * zod schema), so the documentation cannot drift from what the parser accepts.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON Schema is walked generically
type Json = Record<string, any>;

function typeOf(s: Json): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (Array.isArray(s.enum)) return s.enum.map((v: unknown) => `\`${String(v)}\``).join(' | ');
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items as Json) : 'any'}`;
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object' && !s.properties) return `map of ${typeOf(s.additionalProperties as Json)}`;
  if (Array.isArray(s.anyOf) || Array.isArray(s.oneOf)) return ((s.anyOf ?? s.oneOf) as Json[]).map(typeOf).join(' or ');
  if (typeof s.type === 'string') return s.pattern ? `${s.type} (pattern)` : s.type;
  return 'any';
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function specReference(schema: Json): string {
  const rows: string[] = [];
  const walk = (s: Json, path: string, required: boolean, variant?: string) => {
    if (path !== '') {
      const def = s.default !== undefined ? `\`${JSON.stringify(s.default)}\`` : required ? '**required**' : '';
      rows.push(`| \`${path}\`${variant ? ` (${variant})` : ''} | ${cell(typeOf(s))} | ${cell(def)} | ${cell(String(s.description ?? ''))} |`);
    }
    if (s.type === 'object' && s.properties) {
      const req = new Set((s.required as string[] | undefined) ?? []);
      for (const [k, v] of Object.entries(s.properties as Record<string, Json>)) walk(v, path === '' ? k : `${path}.${k}`, req.has(k), variant);
    } else if (s.type === 'array' && s.items) {
      const items = s.items as Json;
      const options = (items.anyOf ?? items.oneOf) as Json[] | undefined;
      if (options) {
        for (const o of options) {
          const props = o.properties as Record<string, { const?: unknown }> | undefined;
          const tag = typeof props?.type?.const === "string" ? props.type.const : undefined;
          walk({ ...o, description: undefined }, `${path}[]`, true, tag ? `type: ${tag}` : variant);
        }
      } else if (items.type === 'object') walk({ ...items, description: undefined }, `${path}[]`, true, variant);
    }
  };
  walk(schema, '', true);
  return ['| key | type | default | description |', '|---|---|---|---|', ...rows.filter((r) => !/^\| `[^`]*\[\]`( \([^)]*\))? \| object \|/.test(r))].join('\n');
}
