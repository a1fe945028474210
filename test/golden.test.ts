import { mkdirSync, readFileSync, writeFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, exampleFiles, exampleNames, planExample, unexplainedFailures } from './helpers/fleet.js';

const GOLDEN = join(ROOT, 'test', 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  try {
    walk(dir);
  } catch {
    return [];
  }
  return out.sort();
}

describe.each(exampleNames())('example %s', (name) => {
  it('plans without error findings', () => {
    const plan = planExample(name);
    expect(plan.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(plan.exitCode).toBe(0);
    expect(plan.proofs.length).toBeGreaterThan(0);
    expect(unexplainedFailures(name, plan)).toEqual([]);
  });

  it('synthesizes exactly the golden files', () => {
    const files = exampleFiles(name);
    const dir = join(GOLDEN, name);
    if (update) {
      rmSync(dir, { recursive: true, force: true });
      for (const f of files) {
        mkdirSync(dirname(join(dir, f.path)), { recursive: true });
        writeFileSync(join(dir, f.path), f.content);
      }
    }
    expect(files.map((f) => f.path)).toEqual(listFiles(dir));
    for (const f of files) expect(f.content, f.path).toBe(readFileSync(join(dir, f.path), 'utf8'));
  });

  it('is deterministic', () => {
    expect(exampleFiles(name)).toEqual(exampleFiles(name));
  });
});
