import { z } from 'zod';

/**
 * The `--json` output of the operations commands (status, register, rotate, drain, resume,
 * prune, unregister): one schema, committed as schema/ops-report.schema.json (`npm run gen`).
 */

const drift = z.strictObject({ field: z.string(), want: z.unknown(), have: z.unknown() });

const manager = z.strictObject({
  systemId: z.string(),
  version: z.string().nullable(),
  platform: z.string().nullable(),
  ipAddress: z.string().nullable(),
  contactedAt: z.string().nullable(),
  status: z.string().nullable(),
  /**
   * True for the manager GitLab keeps for runner-fleet's own POST /runners/verify (system_id
   * runner-fleet-verify, left by status --verify-tokens and rotate): no process runs as it, so it
   * is not one of the runner's managers. Absent for the others.
   */
  tokenCheck: z.literal(true).optional(),
});

const runnerStatus = z.strictObject({
  name: z.string(),
  registration: z.enum(['terraform', 'api']),
  scope: z.string(),
  registered: z.boolean(),
  ids: z.array(z.number().int()),
  status: z.string().nullable(),
  online: z.boolean().nullable(),
  contactedAt: z.string().nullable(),
  paused: z.boolean().nullable(),
  /** When the token expires, when known (tokenExpiry `expires`); null otherwise — never "never expires" by itself. */
  tokenExpiresAt: z.string().nullable(),
  /**
   * `expires` (at tokenExpiresAt), `never` (token_expires_at null: in GitLab's runner details, or
   * in GitLab's answer when it issued the token, as the store recorded it),
   * `unknown` (GitLab's GET /runners/:id carries no token_expires_at and the store records no
   * expiry); null when the runner is not registered.
   */
  tokenExpiry: z.enum(['expires', 'never', 'unknown']).nullable(),
  /**
   * Where tokenExpiry comes from. One rule for status and rotate: GitLab (POST /runners/verify
   * with --verify-tokens, or GET /runners/:id) when it says; else the token store's record (what
   * GitLab answered when it issued the token).
   */
  tokenExpirySource: z.enum(['gitlab', 'store']).nullable(),
  /** The store records another expiry than GitLab says (GitLab's is used): what each says, and how to repair the store's record. */
  tokenExpiryMismatch: z.string().optional(),
  runningJobs: z.number().int().nullable(),
  managers: z.array(manager),
  /**
   * false: this GitLab answered 404 to GET /runners/:id/managers (no runner managers API), so
   * `managers` is empty without meaning "none" (not a problem by itself). Absent otherwise.
   */
  managersListed: z.literal(false).optional(),
  /**
   * True when the runner's last contact (contactedAt, and GitLab's online/status for about 2 h
   * after it) is runner-fleet's own token check (POST /runners/verify): the runner-fleet-verify
   * manager has that contact time and none of the runner's own managers contacted GitLab since.
   * Absent otherwise.
   */
  contactIsTokenCheck: z.literal(true).optional(),
  /**
   * True when the runner's last contact is later than the last contact of every manager GitLab
   * lists for it, no runner-fleet-verify manager among them: no listed manager made it (as
   * runner-fleet's token check once its manager is removed), so GitLab's online/status for about
   * 2 h after it does not say that a manager runs. Absent otherwise.
   */
  contactNotFromManagers: z.literal(true).optional(),
  /** With contactIsTokenCheck or contactNotFromManagers: the last contact of the runner's own managers (null: none listed). */
  managersContactedAt: z.string().nullable().optional(),
  drift: z.array(drift),
  /** Listed, but `GET /runners/:id` answered 404: deleted between the calls, or not visible to this token (a problem: exit 1). */
  detailsNotFound: z.boolean().optional(),
  /**
   * The token store of a registered API runner, as status read it (never the token): `ok`, or a
   * problem (exit 1) — `missing` (no token), `pending` (a reset was interrupted), `restart-owed`
   * (the token of a reset is stored but the manager was not restarted since: it may run with the
   * replaced token; register restarts it), `other-owner`
   * (another fleet's or runner's token, or one runner-fleet did not write), `other-runner` (the
   * token of another runner id, from the id beside it or, with --verify-tokens, from GitLab's
   * POST /runners/verify), `invalid` (with --verify-tokens: GitLab refuses the stored token),
   * `unreadable`. Absent for Terraform runners and with --no-stores.
   */
  store: z.strictObject({
    label: z.string(),
    state: z.enum(['ok', 'missing', 'pending', 'restart-owed', 'other-owner', 'other-runner', 'invalid', 'unreadable']),
    owner: z.string().nullable(),
    runnerId: z.number().int().nullable(),
    detail: z.string(),
  }).optional(),
  /**
   * A project runner assigned to more than one project: the projects GitLab names (it runs their
   * jobs too; unregister and prune do not delete it until it is unassigned from the others).
   */
  assignedTo: z.array(z.string()).optional(),
});

const phantom = z.strictObject({ id: z.number().int(), runner: z.string(), scope: z.string(), description: z.string() });

const action = z.enum(['create', 'repair-token', 'update', 'deduplicate', 'rotate', 'restart-manager', 'clear-restart-owed', 'delete', 'pause', 'wait-for-jobs', 'resume', 'clear-token', 'conflict']);
const step = z.strictObject({ runner: z.string(), action, id: z.number().int().optional(), detail: z.string() });
const result = step.extend({ outcome: z.enum(['done', 'skipped', 'failed']) });

export const opsReportSchema = z.strictObject({
  command: z.enum(['status', 'register', 'rotate', 'drain', 'resume', 'prune', 'unregister']),
  /** Absent only when the spec could not be used (`failedAt: "input"`, exit 2). */
  fleet: z.string().optional(),
  gitlab: z.string().optional(),
  /** Mutating commands: whether --approve was given (without it, only the plan is printed). */
  approved: z.boolean(),
  runners: z.array(runnerStatus).optional(),
  phantoms: z.array(phantom).optional(),
  /** Absent when reading GitLab or a token store failed (`failedAt: "read"`): no plan was made. */
  plan: z.array(step).optional(),
  /**
   * register and rotate: runners of the spec (or the one `--runner` names) that the generated
   * terraform/gitlab root registers and whose token it owns (`gitlab.registration: terraform`, the
   * default on Kubernetes); the command leaves them alone, so they are in no plan.
   */
  leftToTerraform: z.array(z.string()).optional(),
  results: z.array(result).optional(),
  /** A failure that stopped the command (never a token). With exitCode 2 when an API refused the credential given (401/403). */
  error: z.string().optional(),
  /**
   * With `error`: `input` — the command or the spec is wrong (exit 2), nothing was called;
   * `read` — GitLab or a token store could not be read, so there is no plan (nor runners);
   * `apply` — it stopped after the plan.
   */
  failedAt: z.enum(['input', 'read', 'apply']).optional(),
  /**
   * A run ended by Ctrl-C (SIGINT, exit 130) or SIGTERM (143), with `failedAt: "apply"`. `drain`
   * while it waited for jobs: the runner it paused stays paused; `paused: true`, and `resume` is
   * the command that lets it take jobs again (the same drain waits again). register and rotate: the runner being worked on,
   * `stored` (whether a new token held only in memory was stored before stopping: a signal then
   * waits for that store write), what the stop `left`, and the command that finishes or repairs it (`rerun`).
   * unregister and prune: the runner being deleted, what is `left` and `rerun` (no `stored`): a signal
   * between deleting a runner and emptying the store that holds its token waits for that store write.
   */
  interrupted: z.strictObject({ signal: z.enum(['SIGINT', 'SIGTERM']), runner: z.string(), ids: z.array(z.number().int()), paused: z.literal(true).optional(), resume: z.string().optional(), stored: z.boolean().optional(), left: z.string().optional(), rerun: z.string().optional() }).optional(),
  /** With `failedAt: "input"` for a spec that cannot be used: its findings, as `plan --json` gives them. */
  findings: z.array(z.strictObject({ code: z.string(), severity: z.enum(['error', 'warning', 'info']), path: z.string(), message: z.string(), received: z.string().optional(), allowed: z.string().optional(), fix: z.string().optional(), acceptedBecause: z.string().optional(), position: z.strictObject({ file: z.string(), line: z.number().int(), column: z.number().int() }).optional() })).optional(),
  /** GitLab API calls made, retries included. */
  apiCalls: z.number().int(),
  exitCode: z.number().int(),
});

export type OpsReport = z.output<typeof opsReportSchema>;

export function opsReportJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(opsReportSchema, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://runner-fleet.dev/schema/ops-report.v1alpha1.json', title: 'runner-fleet operations report (--json of status, register, rotate, drain, resume, prune, unregister)' };
}
