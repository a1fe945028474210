import { shellCommentScanner } from './shell-comment.js';

/**
 * Where a script pins the gitlab-runner it installs, in the shapes gitlab-runner is installed by
 * (GitLab's "Install GitLab Runner" docs, docs.gitlab.com/runner/install/): the package of a version
 * (`yum install gitlab-runner-11.3.1`, `gitlab-runner-16.5.0-1`; `apt-get install
 * gitlab-runner=16.5.0-1`; a downloaded `gitlab-runner_16.5.0_amd64.deb`), the binary of a version
 * (`gitlab-runner-downloads.s3.amazonaws.com/v16.5.0/…`), or the image of one
 * (`gitlab/gitlab-runner:v16.5.0`, `:alpine-v16.5.0`, `:ubuntu-v16.5.0`). The version is a literal,
 * or a template's `${name}` whose value the caller knows. A pin in a `#` comment (a shell script's, a
 * Dockerfile's, a YAML file's: `# FROM gitlab/gitlab-runner:v15.0.0`, `# apt-get install
 * gitlab-runner=15.0.0`) installs nothing and is no pin. One reader for the VM platforms' own
 * check (RF723, the version a boot script installs) and the doctor's (runner-version.ts).
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
 * The pins a text writes outside comments, as written: a version (`v16.5.0`, `16.5.0-1`) or a
 * `${name}` whose value the caller resolves (`variable`).
 */
export function pinsWritten(text: string): { written: string; variable?: string }[] {
  const out: { written: string; variable?: string }[] = [];
  if (!text.includes('gitlab-runner')) return out;
  for (const pattern of PIN_PATTERNS) {
    pattern.lastIndex = 0;
    const commented = shellCommentScanner(text);
    for (const m of text.matchAll(pattern)) {
      if (commented(m.index)) continue;
      const written = m[1]!;
      const variable = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(written)?.[1];
      out.push(variable !== undefined ? { written, variable } : { written });
    }
  }
  return out;
}

/** A version as pins write it (`v18.9.0`, `18.9.0-1`) as its three numbers; undefined for any other text. */
export function versionNumbers(written: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-\d+)?$/.exec(written);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** Whether release `a` comes before release `b` in version order. */
export function releaseBefore(a: readonly [number, number, number], b: readonly [number, number, number]): boolean {
  return a[0] !== b[0] ? a[0] < b[0] : a[1] !== b[1] ? a[1] < b[1] : a[2] < b[2];
}
