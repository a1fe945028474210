/**
 * The marker: how runner-fleet recognises its own runners in GitLab with no local state.
 *
 * GitLab's list endpoints (`GET /groups/:id/runners`, `GET /projects/:id/runners`,
 * `GET /runners/all`) return the `Runner` entity: id, description, paused, runner_type, status,
 * online, job_execution_status — but not tag_list or maintenance_note, which only
 * `GET /runners/:id` returns (https://docs.gitlab.com/api/runners/). So the marker that listing
 * finds must live in the **description**: it ends with ` [runner-fleet:<fleet>/<runner>]`.
 * The same marker is repeated in `maintenance_note` (shown only to users who may update the
 * runner, and rarely edited), and a deletion re-reads the runner and requires both to match.
 */

const PREFIX = 'runner-fleet:';
const MARKER_RE = /\s\[runner-fleet:([a-z][-a-z0-9]*)\/([a-z][-a-z0-9]*)\]$/;

export interface Marker {
  fleet: string;
  runner: string;
}

export function markerText(fleet: string, runner: string): string {
  return `[${PREFIX}${fleet}/${runner}]`;
}

/** The description runner-fleet gives a runner in GitLab: the spec's description plus the marker. */
export function gitlabDescription(fleet: string, runner: { name: string; description: string }): string {
  return `${runner.description} ${markerText(fleet, runner.name)}`;
}

/** The owner runner-fleet writes beside a token in its store: `<fleet>/<runner>`. */
export function ownerText(fleet: string, runner: string): string {
  return `${fleet}/${runner}`;
}

export function maintenanceNote(fleet: string, runner: string): string {
  return `Managed by runner-fleet ${markerText(fleet, runner)}: keep the marker at the end of the description, or runner-fleet no longer recognises this runner.`;
}

/** The marker at the end of a description, if any. */
export function parseMarker(description: string | null | undefined): Marker | undefined {
  const m = MARKER_RE.exec(description ?? '');
  return m ? { fleet: m[1]!, runner: m[2]! } : undefined;
}

/** Both marker places agree (used before every deletion). A runner with no note at all is accepted on its description alone. */
export function confirmsMarker(details: { description?: string | null; maintenance_note?: string | null }, want: Marker): boolean {
  const d = parseMarker(details.description);
  if (!d || d.fleet !== want.fleet || d.runner !== want.runner) return false;
  const note = details.maintenance_note;
  return note === undefined || note === null || note === '' || note.includes(markerText(want.fleet, want.runner));
}
