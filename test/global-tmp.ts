// Every test file writes its scratch files (specs, synth output, fake TLS keys, terraform working
// folders) under os.tmpdir(). Vitest's global setup points TMPDIR at one folder of this run, which
// the workers and the CLI processes they start inherit, and removes it when the run ends, so a run
// leaves nothing behind in /tmp. RUNNER_FLEET_KEEP_TMP=1 keeps it (its path is printed) for a look
// after a failure.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const before = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), 'runner-fleet-test-run-'));
  process.env.TMPDIR = root;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    if (process.env.RUNNER_FLEET_KEEP_TMP === '1') console.log(`scratch files of this run kept in ${root}`);
    else rmSync(root, { recursive: true, force: true });
  };
}
