/** Malformed VM specs: exit 2, with the exact path of each mistake. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { planValue } from '../src/core.js';
import { VM_SPEC_CASES, type Spec } from './helpers/vm.js';

function example(name: string): Spec {
  return parse(readFileSync(`examples/${name}.yaml`, 'utf8')) as Spec;
}

const CASES = VM_SPEC_CASES;

describe('malformed VM specs exit 2 with the exact path', () => {
  it.each(CASES)('$name → $code at $path', ({ base, mutate, code, path }) => {
    const spec = example(base);
    mutate(spec);
    const plan = planValue(spec);
    expect(plan.exitCode).toBe(2);
    expect(plan.findings.map((f) => `${f.code} ${f.path}`)).toContain(`${code} ${path}`);
  });

  it.each([...new Set(CASES.map((c) => c.base))])('the unmutated %s example is accepted', (base) => {
    expect(planValue(example(base)).exitCode).toBe(0);
  });
});
