import type { RunnerDetails } from '../live/gitlab.js';
import type { RunnerSettings } from './desired.js';

/** A setting whose value in GitLab differs from the spec. */
export interface Drift {
  field: keyof RunnerSettings;
  want: unknown;
  have: unknown;
}

/** The settings GitLab returns in `GET /runners/:id` (RunnerDetails), as far as runner-fleet reads them. */
export type ObservedSettings = Partial<Pick<RunnerDetails, 'description' | 'paused' | 'tag_list' | 'run_untagged' | 'locked' | 'access_level' | 'maximum_timeout' | 'maintenance_note'>>;

const FIELDS: (keyof RunnerSettings)[] = ['description', 'tag_list', 'run_untagged', 'locked', 'access_level', 'maximum_timeout', 'maintenance_note'];

/**
 * Drift between the spec and GitLab. `paused` is left out: it is the drain switch, so a paused
 * runner is reported as paused, not as drift. `maintenance_note` is compared only when GitLab
 * shows it (only to users who may update the runner).
 */
export function driftOf(want: RunnerSettings, have: ObservedSettings): Drift[] {
  const out: Drift[] = [];
  for (const field of FIELDS) {
    let h: unknown = have[field];
    let w: unknown = want[field];
    if (field === 'maintenance_note' && h === undefined) continue;
    if (field === 'tag_list') {
      h = [...((h as string[] | null | undefined) ?? [])].sort();
      w = [...(w as string[])].sort();
    }
    if (field === 'maximum_timeout' && (h === undefined || h === 0)) h = null;
    if (JSON.stringify(h ?? null) !== JSON.stringify(w ?? null)) out.push({ field, want: w, have: h ?? null });
  }
  return out;
}

/** The body of `PUT /runners/:id` that corrects the drift (only the drifted fields). */
export function correction(want: RunnerSettings, drift: Drift[]): Partial<RunnerSettings> {
  return Object.fromEntries(drift.map((d) => [d.field, want[d.field]]));
}
