import { normalPath } from './hcl/eval.js';
import { runnerVersion, type RunnerVersion } from './register-flags.js';
import { shellCommentScanner } from './shell-comment.js';

/**
 * Where a script pins the gitlab-runner it installs, in the shapes gitlab-runner is installed by
 * (GitLab's "Install GitLab Runner" docs, docs.gitlab.com/runner/install/): the package of a version
 * (`yum install gitlab-runner-11.3.1`, `gitlab-runner-16.5.0-1`; `apt-get install
 * gitlab-runner=16.5.0-1`; a downloaded `gitlab-runner_16.5.0_amd64.deb`), the binary of a version
 * (`gitlab-runner-downloads.s3.amazonaws.com/v16.5.0/…`), or the image of one
 * (`gitlab/gitlab-runner:v16.5.0`, `:alpine-v16.5.0`, `:ubuntu-v16.5.0`). The version is a literal,
 * or a template's `${name}` whose value the Terraform that renders the template gives. A pin in a
 * `#` comment (a shell script's, a Dockerfile's, a YAML file's: `# FROM gitlab/gitlab-runner:v15.0.0`,
 * `# apt-get install gitlab-runner=15.0.0`) installs nothing and is no pin.
 */
const PINS = [
  // A package name and version (rpm `name-version`, deb `name=version`, a .deb file `name_version_arch`): the word `gitlab-runner` alone, not `gitlab-runner-helper`.
  /(?<![A-Za-z0-9_.-])gitlab-runner(?:-|=|_)(VERSION)(?![\d.]*\d)/g,
  /gitlab-runner-downloads\.s3\.amazonaws\.com\/(VERSION)\//g,
  /(?<![A-Za-z0-9_.-])(?:registry\.gitlab\.com\/gitlab-org\/|gitlab\/)gitlab-runner:(?:(?:alpine|ubuntu)[0-9.]*-)?(VERSION)(?![\w.-])/g,
];
const VERSION = String.raw`v?\d+\.\d+\.\d+(?:-\d+)?|\$\{[A-Za-z_][A-Za-z0-9_]*\}`;
const PIN_PATTERNS = PINS.map((p) => new RegExp(p.source.replace('VERSION', VERSION), 'g'));

/**
 * The versions a text pins gitlab-runner to (normalised, `11.3.1`), each pin a literal or a
 * template variable the Terraform given renders the file with one value only (`vars`); `unknown`
 * where a pin's version is not known (a variable with no value or several, a version outside
 * 10.0 … the current table's).
 */
export function runnerPins(text: string, vars?: ReadonlyMap<string, ReadonlySet<string | null>>): { versions: Set<string>; unknown: boolean } {
  const versions = new Set<string>();
  if (!text.includes('gitlab-runner')) return { versions, unknown: false };
  let unknown = false;
  for (const pattern of PIN_PATTERNS) {
    pattern.lastIndex = 0;
    const commented = shellCommentScanner(text);
    for (const m of text.matchAll(pattern)) {
      if (commented(m.index)) continue;
      let written = m[1]!;
      const variable = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(written);
      if (variable) {
        const values = vars?.get(variable[1]!);
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
