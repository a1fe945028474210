import { RestartDeadlineError, type RestartLimit } from './ports.js';
import type { Timing } from '../live/retry.js';

/** How long a Key Vault runner's restart waits for the CSI driver to sync the new token into the chart's Secret (its rotation poll is 2 min by default). */
export const KEY_VAULT_SYNC_WAIT_MS = 150_000;
/** How often the synced Secret is read meanwhile. */
const POLL_MS = 10_000;

/** The Key Vault secret and the chart's Secret and Deployment it is synced for. */
export interface CsiSyncTarget {
  secretName: string;
  namespace: string;
  secret: string;
  deployment: string;
}

/**
 * Waits until the chart's Secret holds `expected` (the token just written to Key Vault), read
 * with `read` every 10 s: up to KEY_VAULT_SYNC_WAIT_MS for this runner, after which the restart
 * goes on anyway (the new pod mounts the Key Vault secret afresh), and never past the command's
 * restart deadline (`limit`, shared by every restart of the command): a wait that reaches it ends
 * with RestartDeadlineError — that runner did not finish in time, and its manager is not
 * restarted. No sleep ends after the deadline.
 */
export async function waitForCsiSync(read: () => Promise<string | undefined>, expected: string, t: CsiSyncTarget, timing: Timing, progress: (line: string) => void, limit?: RestartLimit): Promise<void> {
  const start = timing.now();
  for (;;) {
    if ((await read()) === expected) return;
    const waited = timing.now() - start;
    if (waited >= KEY_VAULT_SYNC_WAIT_MS) {
      progress(`Secret ${t.namespace}/${t.secret} does not hold the new token after ${Math.round(waited / 1000)} s (is secret rotation of the CSI driver enabled?); restarting anyway: the new pod mounts the Key Vault secret afresh`);
      return;
    }
    const left = limit === undefined ? Infinity : limit.until - timing.now();
    if (left <= 0) {
      throw new RestartDeadlineError(
        `the Secrets Store CSI driver had not synced ${t.secretName} into Secret ${t.namespace}/${t.secret} when the deadline of this command's manager restarts (${limit!.name}) passed (waited ${Math.round(waited / 1000)} s): not finished in time, the manager was not restarted; the new token is stored in Key Vault: once the Secret holds it, restart the manager (kubectl rollout restart deployment/${t.deployment} -n ${t.namespace})`,
      );
    }
    progress(`waiting for the Secrets Store CSI driver to sync ${t.secretName} into Secret ${t.namespace}/${t.secret} (${Math.round(waited / 1000)} s of ${KEY_VAULT_SYNC_WAIT_MS / 1000} s)`);
    await timing.sleep(Math.min(POLL_MS, left));
  }
}
