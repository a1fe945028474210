import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { schemaJson } from '../src/spec/json-schema.js';
import { specReference } from '../src/spec/reference.js';
import { ROOT } from './helpers/fleet.js';

describe('generated documentation is current', () => {
  it('schema/fleet.schema.json matches the spec schema (run `npm run gen` after changing it)', () => {
    const committed = readFileSync(join(ROOT, 'schema', 'fleet.schema.json'), 'utf8');
    expect(committed).toBe(`${JSON.stringify(schemaJson(), null, 2)}\n`);
  });

  it('the README spec reference matches the schema (run `npm run gen`)', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(specReference(schemaJson()));
  });

  it('the schema rejects unknown keys and names the required ones', () => {
    const s = schemaJson() as Record<string, any>;
    expect(s.additionalProperties).toBe(false);
    expect(s.required).toEqual(expect.arrayContaining(['apiVersion', 'kind', 'metadata', 'gitlab', 'clusters', 'runners']));
  });

  it('the reference lists every runner key with its default', () => {
    const ref = specReference(schemaJson());
    expect(ref).toContain('| `runners[].concurrent` | integer | `4` |');
    expect(ref).toContain('| `runners[].jobs.privileged` | boolean | `false` |');
  });
});
