import { normalPath } from './hcl/eval.js';
import { runnerVersion, type RunnerVersion } from './register-flags.js';
import { pinsWritten } from '../platforms/aws-vm/runner-pins.js';

/**
 * The versions a text pins gitlab-runner to (normalised, `11.3.1`; pins as runner-pins.ts reads them), each pin a literal or a
 * template variable the Terraform given renders the file with one value only (`vars`); `unknown`
 * where a pin's version is not known (a variable with no value or several, a version outside
 * 10.0 … the current table's).
 */
export function runnerPins(text: string, vars?: ReadonlyMap<string, ReadonlySet<string | null>>): { versions: Set<string>; unknown: boolean } {
  const versions = new Set<string>();
  let unknown = false;
  for (const pin of pinsWritten(text)) {
    let written = pin.written;
    if (pin.variable !== undefined) {
      const values = vars?.get(pin.variable);
      const only = values?.size === 1 ? [...values][0] : undefined;
      if (only === null || only === undefined) {
        unknown = true;
        continue;
      }
      written = only;
    }
    const version = runnerVersion(written);
    if (version === undefined) unknown = true;
    else versions.add(version.text);
  }
  return { versions, unknown };
}

/**
 * The gitlab-runner version a script installs, where it writes exactly one: every pin it writes
 * names the same version, each a literal or a template variable the Terraform given renders the
 * file with one value only (`vars`), and the flag tables cover it. Otherwise undefined (no pin, a
 * pin only apply or boot knows, two versions, a version outside 10.0 … the current table's): RF919
 * then reads the flags of the current version, as without a pin.
 */
export function pinnedRunnerVersion(text: string, vars?: ReadonlyMap<string, ReadonlySet<string | null>>): RunnerVersion | undefined {
  const { versions, unknown } = runnerPins(text, vars);
  if (unknown || versions.size !== 1) return undefined;
  return runnerVersion([...versions][0]!);
}

/** The variables a file of the evidence is rendered with as a template (evidence.ts templateVars), by its path. */
export function templateVarsOf(templateVars: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<string | null>>> | undefined, path: string): ReadonlyMap<string, ReadonlySet<string | null>> | undefined {
  return templateVars?.get(normalPath(path));
}
