/**
 * What the operations need from the world, as interfaces: the live clients (src/live/) implement
 * them, and tests pass doubles. Nothing here does I/O.
 */

/** A runner token as a store keeps it, with the metadata runner-fleet writes beside it. */
export interface StoredToken {
  token: string;
  /** The GitLab runner id the token belongs to. */
  runnerId?: number;
  expiresAt?: string | null;
  /**
   * `pending`: a token reset was about to happen when this was written. If the run stopped
   * before storing the new token, the next run sees `pending` and repairs with a reset.
   */
  state?: 'valid' | 'pending';
  /**
   * `<fleet>/<runner>`: the spec entry whose token this is, written beside it by runner-fleet
   * (the marker of the runner, on the store). Another fleet's store is never overwritten.
   */
  owner?: string;
}

export interface TokenStore {
  /** Where the token lives, for people (never the token). */
  readonly label: string;
  read(): Promise<StoredToken | undefined>;
  write(value: StoredToken): Promise<void>;
  /** Removes the token (unregister). */
  clear(): Promise<void>;
  /** Makes the manager read the store again (rollout restart, service restart). */
  restartManager(): Promise<void>;
}

/**
 * A store found holding someone else's token when it was re-read right before a write (the
 * engine's guard) or while it was written (a Kubernetes Secret re-read after 409 Conflict): the
 * step is reported as a `conflict` that failed, and nothing of that runner is written.
 */
export class StoreConflictError extends Error {}
