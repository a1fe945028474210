/**
 * The file a launch template's `user_data` reads, as the evaluated Terraform value keeps it:
 * `filebase64("${path.module}/<file>")` or `base64encode(file("${path.module}/<file>"))`. One
 * reader for the platform (its synth layout names `../../ec2/<runner>/user-data.sh` from
 * `terraform/aws`) and the doctor (a hand-written module names a file beside it).
 */
// In a module's resource the evaluator keeps the call under the module's address (`${module.runner.filebase64(…)}`,
// `module.a["k"].module.b.`): `${path.module}` is then the module's own folder, the folder of its Terraform file.
const USER_DATA_FILE = /^\$\{(?:module\.[A-Za-z0-9_-]+(?:\[[^\]\n]*\])?\.)*(?:filebase64\("\$\{path\.module\}\/([^"]+)"\)|base64encode\(file\("\$\{path\.module\}\/([^"]+)"\)\))\}$/;

/**
 * The path of the file `user_data` reads, among documents whose paths are relative to one folder:
 * `<file>` resolved against `moduleDir` (the folder of the Terraform file, in the same terms), `..`
 * and `.` followed. Undefined when `user_data` is no such file reference.
 */
export function userDataFilePath(userData: string, moduleDir: string): { path: string; written: string } | undefined {
  const m = USER_DATA_FILE.exec(userData);
  const written = m?.[1] ?? m?.[2];
  if (written === undefined) return undefined;
  return { path: pathInFolder(written, moduleDir), written };
}

/** `written` (a path relative to `${path.module}`) resolved against `moduleDir`, `..` and `.` followed. */
export function pathInFolder(written: string, moduleDir: string): string {
  // A folder given by its absolute path (`runner-fleet doctor /builds/infra`) keeps its leading slash:
  // the files given are keyed by the paths as given.
  const absolute = moduleDir.startsWith('/');
  const parts = moduleDir.split('/').filter((p) => p !== '' && p !== '.');
  for (const seg of written.split('/')) {
    if (seg === '..') parts.pop();
    else if (seg !== '.' && seg !== '') parts.push(seg);
  }
  return `${absolute ? '/' : ''}${parts.join('/')}`;
}

/**
 * The first gitlab-runner release that expands `$VAR` and `${VAR}` in a `[[runners]]` entry's
 * `token` (and `url`) when it loads config.toml: 18.10.0 (its CHANGELOG: "Support environment
 * variable expansion in runner token and URL", MR !6068; `loadConfig` in common/config.go calls
 * os.ExpandEnv on both). An earlier release sends the text as written, so GitLab refuses the runner.
 */
export const TOKEN_EXPANSION_SINCE: readonly [number, number, number] = [18, 10, 0];

/** A config.toml a boot script writes with its token given as a variable that gitlab-runner, by its version, does not expand. */
export interface UnexpandedToken {
  /** 1-based line of the `token = "$…"` line in the script. */
  line: number;
  /** The token's text as written (a variable's name, never a value). */
  written: string;
  /** The gitlab-runner version the script installs. */
  version: string;
}

const QUOTED_HEREDOC = /<<-?\s*(?:'([A-Za-z_][A-Za-z0-9_]*)'|"([A-Za-z_][A-Za-z0-9_]*)"|\\([A-Za-z_][A-Za-z0-9_]*))/;
const ANY_HEREDOC = /<<-?\s*([A-Za-z_][A-Za-z0-9_]*)/;
const TOKEN_VARIABLE = /^\s*token\s*=\s*(?:"(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)"|'(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)')\s*(?:#.*)?$/;
const ASSIGNMENT = /^\s*(?:export\s+|readonly\s+)?([A-Za-z_][A-Za-z0-9_]*)=(?:'([^'\n]*)'|"([^"$`\\\n]*)"|([^\s'"$`;&|]*))\s*(?:#.*)?$/;
// A pinned package (dnf/yum `gitlab-runner-18.9.0-1`, apt `gitlab-runner=18.9.0-1`, a `gitlab-runner_18.9.0_amd64.deb`) or a binary from GitLab's download bucket (`/v18.9.0/binaries/`).
const PINNED = /\bgitlab-runner[-=_]v?(\d+)\.(\d+)\.(\d+)|gitlab-runner-downloads\.s3\.amazonaws\.com\/v(\d+)\.(\d+)\.(\d+)\//;
const INSTALL = /\b(?:dnf|yum|apt-get|apt|zypper|rpm|dpkg|curl|wget)\b/;

/**
 * The config.toml entries of a boot script whose token is a variable (`token = "$CI_SERVER_TOKEN"`)
 * written where the shell does not expand it (a heredoc with a quoted delimiter), in a script that
 * installs a pinned gitlab-runner older than TOKEN_EXPANSION_SINCE. An unpinned install, or a version
 * the script does not state, says nothing: which release runs is then not known here. A heredoc whose
 * delimiter is not quoted is expanded by the shell, so the file holds the variable's value instead.
 */
export function unexpandedTokens(script: string): UnexpandedToken[] {
  const lines = script.split('\n');
  const vars = new Map<string, string>();
  const tokens: { line: number; written: string }[] = [];
  let version: string | undefined;
  let end: string | undefined;
  let quoted = false;
  let runners = false;
  let pending: { line: number; written: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (end !== undefined) {
      if (line.replace(/^\t+/, '').trimEnd() === end || line.trim() === end) {
        if (quoted && runners) tokens.push(...pending);
        end = undefined;
        pending = [];
        continue;
      }
      if (!quoted) continue;
      if (/^\s*\[\[runners\]\]/.test(line)) runners = true;
      const t = TOKEN_VARIABLE.exec(line);
      if (t) pending.push({ line: i + 1, written: (t[1] ?? t[2])! });
      continue;
    }
    const a = ASSIGNMENT.exec(line);
    if (a) vars.set(a[1]!, a[2] ?? a[3] ?? a[4] ?? '');
    if (INSTALL.test(line) && line.includes('gitlab-runner')) {
      const expanded = line.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, b: string | undefined, c: string | undefined) => vars.get((b ?? c)!) ?? whole);
      const m = PINNED.exec(expanded);
      if (m) version = m[1] !== undefined ? `${m[1]}.${m[2]!}.${m[3]!}` : `${m[4]!}.${m[5]!}.${m[6]!}`;
    }
    const q = QUOTED_HEREDOC.exec(line);
    const h = q ? undefined : ANY_HEREDOC.exec(line);
    if (q || h) {
      end = q ? (q[1] ?? q[2] ?? q[3])! : h![1]!;
      quoted = q !== null;
      runners = false;
      pending = [];
    }
  }
  if (version === undefined || !before(version, TOKEN_EXPANSION_SINCE)) return [];
  return tokens.map((t) => ({ ...t, version: version }));
}

function before(version: string, since: readonly [number, number, number]): boolean {
  const v = version.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (v[i]! !== since[i]) return v[i]! < since[i]!;
  return false;
}
