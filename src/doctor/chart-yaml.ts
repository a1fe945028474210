import type { Evidence } from './evidence.js';
import { isObject } from '../model/is-object.js';
import { normalPath } from './hcl/eval.js';

/**
 * `<folder>Chart.yaml`'s document (`folder` a normal path ending in `/`, or empty), where it is among
 * the files read. A module of its own: the release readers (helm-release.ts, gitops.ts,
 * helm-command.ts) ask it which chart a folder is, and vendored-chart.ts imports helm-release.ts.
 */
export function chartYamlOf(ev: Evidence, folder: string): Record<string, unknown> | undefined {
  const path = `${folder}Chart.yaml`;
  const artifact = (ev.givenPaths ?? new Set<string>()).has(path) ? ev.artifacts.find((a) => a.format === 'yaml' && normalPath(a.path) === path) : undefined;
  const doc: unknown = artifact && Array.isArray(artifact.content) ? (artifact.content as unknown[])[0] : undefined;
  return isObject(doc) ? doc : undefined;
}
