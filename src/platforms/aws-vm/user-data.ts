import { releaseBefore, pinsWritten, versionNumbers } from './runner-pins.js';
import { heredocSpan } from './script-files.js';

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

const TOKEN_VARIABLE = /^\s*token\s*=\s*(?:"(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)"|'(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)')\s*(?:#.*)?$/;
const TABLE = /^\s*(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]\]?\s*(?:#.*)?$/;
const ASSIGNMENT = /^\s*(?:export\s+|readonly\s+)?([A-Za-z_][A-Za-z0-9_]*)=(?:'([^'\n]*)'|"([^"$`\\\n]*)"|([^\s'"$`;&|]*))\s*(?:#.*)?$/;

/**
 * The `token = "$VAR"` lines of the config.toml a boot script writes (script-files.ts heredocSpan:
 * its heredocs, echo lines and cloud-init write_files) in a `[[runners]]` entry, where the shell
 * leaves them as written (a heredoc with a quoted marker, a cloud-init file), in a script that
 * installs a pinned gitlab-runner older than TOKEN_EXPANSION_SINCE. An unpinned install, or a version
 * the script does not state (two versions, a variable it does not set), says nothing: which release
 * runs is then not known here. A heredoc the shell expands writes the variable's value instead.
 */
export function unexpandedTokens(script: string): UnexpandedToken[] {
  const span = heredocSpan(script, 'config.toml');
  if (span === undefined) return [];
  const version = installedVersion(script);
  if (version === undefined || !releaseBefore(version, TOKEN_EXPANSION_SINCE)) return [];
  const expanded = new Set(span.expanded);
  const body = span.body.split('\n');
  const out: UnexpandedToken[] = [];
  let table = '';
  for (let i = 0; i < body.length; i++) {
    const header = TABLE.exec(body[i]!);
    if (header) {
      table = header[1] === '[[' ? `[[${header[2]!}]]` : header[2]!;
      continue;
    }
    const t = table === '[[runners]]' && !expanded.has(i) ? TOKEN_VARIABLE.exec(body[i]!) : null;
    if (t) out.push({ line: (span.lines?.[i] ?? span.from + i) + 1, written: (t[1] ?? t[2])!, version: version.join('.') });
  }
  return out;
}

/**
 * The one gitlab-runner version a boot script installs (runner-pins.ts: package, binary or image
 * pins), its shell variables read where it sets them literally (`V=18.9.0` … `gitlab-runner-$V-1`);
 * undefined where it pins none, two, or one through a variable it does not set.
 */
export function installedVersion(script: string): [number, number, number] | undefined {
  const vars = new Map<string, string>();
  const versions = new Set<string>();
  for (const line of script.split('\n')) {
    const a = ASSIGNMENT.exec(line);
    if (a) vars.set(a[1]!, a[2] ?? a[3] ?? a[4] ?? '');
    if (!line.includes('gitlab-runner')) continue;
    const expanded = line.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, b: string | undefined, c: string | undefined) => vars.get((b ?? c)!) ?? whole);
    for (const pin of pinsWritten(expanded)) {
      const numbers = pin.variable === undefined ? versionNumbers(pin.written) : undefined;
      if (numbers === undefined) return undefined;
      versions.add(numbers.join('.'));
    }
  }
  if (versions.size !== 1) return undefined;
  return versionNumbers([...versions][0]!);
}
