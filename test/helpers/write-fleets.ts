import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Two fleets' files for synth's writer tests: an earlier run's, and the next run's (one changed, one kept, one stale, one new). */
export const OLD = [
  { path: 'a.tf.json', content: '{"old":"a"}\n' },
  { path: 'b/b.yaml', content: 'old: b\n' },
  { path: 'stale/gone.yaml', content: 'old: gone\n' },
];
export const NEW = [
  { path: 'a.tf.json', content: '{"new":"a"}\n' },
  { path: 'b/b.yaml', content: 'new: b\n' },
  { path: 'c.toml', content: 'new = "c"\n' },
];

/** Every file under `dir` with its text, by relative path, in name order. */
export function tree(dir: string, at = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(join(dir, at), { withFileTypes: true }).sort((x, y) => (x.name < y.name ? -1 : 1))) {
    const rel = at === '' ? e.name : `${at}/${e.name}`;
    if (e.isDirectory()) Object.assign(out, tree(dir, rel));
    else out[rel] = readFileSync(join(dir, rel), 'utf8');
  }
  return out;
}
