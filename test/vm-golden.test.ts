/**
 * Goldens: every examples/*.yaml is synthesized in memory and each file compared with
 * test/golden/<example>/<path>. Regenerate with UPDATE_GOLDEN=1 and review the diff.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { planText, synthFiles } from '../src/core.js';

const UPDATE = process.env.UPDATE_GOLDEN === '1';
const examples = readdirSync('examples').filter((f) => f.endsWith('.yaml')).sort();

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('goldens', () => {
  it('cover the VM examples', () => {
    for (const e of ['ec2-docker.yaml', 'ecs-fargate.yaml', 'ec2-autoscaler.yaml', 'mixed-eks-vm.yaml']) expect(examples).toContain(e);
  });

  for (const file of examples) {
    const name = file.replace(/\.yaml$/, '');
    it(name, () => {
      const plan = planText(readFileSync(join('examples', file), 'utf8'), file);
      expect(plan.exitCode, JSON.stringify(plan.findings, null, 2)).toBe(0);
      const files = synthFiles(plan);
      const dir = join('test/golden', name);
      if (UPDATE) {
        rmSync(dir, { recursive: true, force: true });
        for (const f of files) {
          mkdirSync(dirname(join(dir, f.path)), { recursive: true });
          writeFileSync(join(dir, f.path), f.content);
        }
      }
      expect(listFiles(dir).map((p) => relative(dir, p)).sort()).toEqual(files.map((f) => f.path).sort());
      for (const f of files) expect(f.content, f.path).toBe(readFileSync(join(dir, f.path), 'utf8'));
    });
  }
});
