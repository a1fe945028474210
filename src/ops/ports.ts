/**
 * What the operations need from the world, as interfaces: the live clients (src/live/) implement
 * them, and tests pass doubles. Nothing here does I/O.
 */

/** A runner token as a store keeps it, with the metadata runner-fleet writes beside it. */
export interface StoredToken {
  token: string;
  /** The GitLab runner id the token belongs to. */
  runnerId?: number;
  /**
   * When the token expires, as GitLab answered when it issued it (`token_expires_at`): the time;
   * null when GitLab answered null (the token never expires); absent when not known (an answer
   * without the field, or a store written before `never` was recorded apart: expiryText).
   */
  expiresAt?: string | null;
  /**
   * `pending`: a token reset was about to happen when this was written. If the run stopped
   * before storing the new token, the next run sees `pending` and repairs with a reset.
   * `restart-owed`: the token of a reset, stored before its manager was restarted (the manager
   * may still run with the token the reset replaced, which GitLab no longer accepts); written
   * `valid` once the restart is done. A run stopped (even by SIGKILL) or a restart that failed
   * in between leaves it, and the next register (or rotate) restarts the manager. A manager found
   * not deployed owes none (ManagerNotDeployedError): it starts with the stored token.
   */
  state?: 'valid' | 'pending' | 'restart-owed';
  /**
   * `<fleet>/<runner>`: the spec entry whose token this is, written beside it by runner-fleet
   * (the marker of the runner, on the store). Another fleet's store is never overwritten.
   */
  owner?: string;
  /**
   * Why `state` may read more owed than it is: a part of the store's record the identity may not
   * read (an SSM identity refused GetParameter of the restart label: SsmParameterStore.read), so
   * the safe reading was taken. Said once, in the status and the plan's step; never a token.
   */
  stateNote?: string;
}

/** How a store writes "never expires"; "not known" has each store's own empty form (`none`, ''). */
export const EXPIRY_NEVER = 'never';

/** The stored form of `expiresAt`: the time, `never`, or the store's form for "not known" (`unknown`). */
export function expiryText(expiresAt: string | null | undefined, unknown: string): string {
  return expiresAt === null ? EXPIRY_NEVER : expiresAt === undefined || expiresAt === '' ? unknown : expiresAt;
}

/**
 * `expiresAt` read back from its stored form. Stores written before `never` was recorded apart
 * wrote `none` (SSM, Key Vault) or '' (Kubernetes) both for "never expires" and for "not known":
 * those read as not known, never as "never expires".
 */
export function parseExpiry(text: string | undefined): Pick<StoredToken, 'expiresAt'> {
  if (text === EXPIRY_NEVER) return { expiresAt: null };
  return text === undefined || text === '' || text === 'none' ? {} : { expiresAt: text };
}

/** `state` read back from its stored form (an annotation or tag); anything else, or none, is `valid`. */
export function parseTokenState(text: string | undefined): NonNullable<StoredToken['state']> {
  return text === 'pending' || text === 'restart-owed' ? text : 'valid';
}

/**
 * markRestarted's answer when the store has something to tell people beside it: whether the mark
 * was made (as the plain boolean) and a note said with the restart's outcome. An SSM parameter
 * marked by its state tag because the identity may not label versions says so (LABEL_REFUSED in
 * src/live/ssm.ts): the rotator role is older than the label and should be regenerated.
 */
export interface MarkOutcome {
  marked: boolean;
  note: string;
}

export interface TokenStore {
  /** Where the token lives, for people (never the token). */
  readonly label: string;
  read(): Promise<StoredToken | undefined>;
  write(value: StoredToken): Promise<void>;
  /** Removes the token (unregister). */
  clear(): Promise<void>;
  /**
   * Clears a `restart-owed` once the manager has restarted: writes `held` — what the store holds
   * now, as just read, with the state `valid` — changing only the state beside the token, in one
   * call, so no moment leaves the store holding its token looking unconfirmed (`pending`), which
   * the next run would repair with a needless reset and restart. A Secret: one PUT (annotations
   * and data replaced together); a Key Vault secret: one Update Secret of the latest version's
   * tags (the same value: write); an SSM parameter: a label on the version that holds `held`'s
   * token (LabelParameterVersion; its generic write of a token takes three calls, the first marking
   * it `pending`, and its tags have no condition: SsmParameterStore.markRestarted).
   * `held` is what the engine read *before* the restart, the token the restarted manager loaded
   * (stop 58): true when that is marked (or found already marked); false when the store holds
   * something else now (another token, a new version of it, or another state, such as the
   * `pending` of a reset under way), and nothing was written: the mark stays owed and the next
   * run restarts again, the safe direction.
   */
  markRestarted(held: StoredToken): Promise<boolean | MarkOutcome>;
  /**
   * Makes the manager read the store again (rollout restart, service restart). A store that finds
   * no manager deployed (a Kubernetes Deployment that does not exist) throws ManagerNotDeployedError.
   */
  restartManager(): Promise<void>;
  /**
   * Whether the manager is deployed (read only): false when the store's platform says it does not
   * exist (a Deployment answered 404), true when it exists, undefined when this store cannot tell
   * (an SSM parameter: Run Command targets an Auto Scaling group's instances by tag). Absent: cannot tell.
   */
  managerDeployed?(): Promise<boolean | undefined>;
}

/**
 * A store found holding someone else's token when it was re-read right before a write (the
 * engine's guard) or while it was written (a Kubernetes Secret re-read after 409 Conflict): the
 * step is reported as a `conflict` that failed, and nothing of that runner is written.
 */
export class StoreConflictError extends Error {}

/**
 * A restart that found no manager to restart (the Deployment of the runner's Helm release does not
 * exist yet). A manager not deployed runs with no token at all: when it is deployed it starts with
 * the token the store holds, so a restart owed after a token reset is satisfied by that start.
 */
export class ManagerNotDeployedError extends Error {}
