import { ciJobVars } from './ci-job-vars.js';
import { RefusedGroups, makefileNamespaceFix, namespaceRefused, type PlaceTool } from './namespace-names.js';
import { safeText, type Finding } from '../spec/findings.js';
import { CODES, type Code } from '../spec/codes.js';
import { isMakefileName } from '../io/file-names.js';
import type { Evidence } from './evidence.js';
import { LineIndex } from './hcl/ast.js';
import { normalPath } from './hcl/eval.js';
import { SourceFile, formatPosition, type Position } from './source.js';
import { MergedValues, ReleaseSource, autoTyped, helmSetPath, isRunnerChart, localChartFolder, setWithTokenStandIn } from './helm-release.js';
import { mergeGivenFile } from './gitops.js';
import { shellCommentScanner } from '../platforms/aws-vm/shell-comment.js';
import { shellWords, type Word } from './register-command.js';
import { assignedOnce, expandWord, inForce, makeVarsAt, makefileForms, recipeWord, type VarSource } from './shell-vars.js';
import { chartYamlOf } from './chart-yaml.js';
import { readKubectlNamespaces } from './kubectl-namespace.js';

/**
 * The gitlab-runner chart installed by a command: `helm install`, `helm upgrade [--install]` or
 * `helm template` in a shell script, a Makefile, a GitLab CI file's script lines or a GitHub
 * workflow's `run:`. Read as the release it makes, as the other release readers read theirs
 * (helm-release.ts, gitops.ts): the release name, `-n/--namespace`, the chart's version, the
 * values layered as Helm layers them, each key keeping the place of the layer that set it last.
 *
 * Helm's order (helm.sh/docs "helm install" and "Values Files"; pkg/cli/values/options.go
 * MergeValues): the chart's values.yaml, then each `-f/--values` file in the order given (the last
 * wins), then `--set-json`, `--set`, `--set-string`, `--set-file` and `--set-literal`, each kind in
 * the order given. `--set` and `--set-string` take `key=value` pairs separated by commas (`\,` a
 * comma inside a value, `{a,b}` a list); `--set` types true, false, null and whole numbers,
 * `--set-string` keeps strings (helm.sh/docs "The Format and Limitations of --set"). A local chart
 * folder (a path that holds a Chart.yaml named gitlab-runner) puts its own values.yaml under them
 * (vendored-chart.ts layerChartDefaults).
 *
 * Paths are read from the folder of the file the command is in (where make runs a recipe; a
 * script run from elsewhere reads them from there). A variable is read where the same file sets
 * it once to a literal (shell-vars.ts assignedOnce: make's `X := v` in a Makefile, the shell's `x=v`);
 * anything else is known only when the command runs, and is said (RF903), never guessed.
 */

type Path = (string | number)[];

/** Files whose lines are shell commands: scripts, Makefiles, GitLab CI files, GitHub workflows. */
const SCRIPT = /\.(?:sh|bash|zsh|ksh)$/i;
const CI_FILE = /(?:^|[\\/])(?:[^\\/]*gitlab-ci[^\\/]*\.ya?ml|\.gitlab[\\/]ci[\\/][^\\/]+\.ya?ml|\.github[\\/]workflows[\\/][^\\/]+\.ya?ml)$/i;
/**
 * Why a variable's value is not known at a command, as each mode reads it (shell-vars.ts): a `.sh`
 * script's names in force at the command (inForce), a Makefile's and a CI file's set once in the file (assignedOnce).
 */
const notLiteral = (path: string): string =>
  SCRIPT.test(path)
    ? 'a variable the script does not set to a literal before this command (it runs top to bottom once)'
    : isMakefileName(path)
      ? 'a variable the Makefile does not set once to a literal (make reads the whole file before a recipe runs)'
      : 'a variable the file does not set once to a literal (its jobs are not one run of its lines in order)';
/** The fix of notLiteral's case. */
const setLiteral = (path: string, what: string): string => `${what}, or set the variable${SCRIPT.test(path) ? ' to a literal before the command' : ' once to a literal in the same file'}`;
/** A GitLab CI file (not a GitHub workflow): its jobs' script items are read in order (ci-job-vars.ts). */
const GITLAB_CI = /(?:^|[\\/])(?:[^\\/]*gitlab-ci[^\\/]*\.ya?ml|\.gitlab[\\/]ci[\\/][^\\/]+\.ya?ml)$/i;
const readsCommands = (path: string): boolean => SCRIPT.test(path) || isMakefileName(path) || CI_FILE.test(path);

/**
 * `helm install|upgrade|template`, also behind a path (`/usr/local/bin/helm`); the words after it follow.
 * A blank between the two words (`helm\` then `install` at a line's start is one word once the shell
 * removes the backslash-newline), continuations before it read first: one way to match each run of blanks.
 * `helm -…`: global flags come before the subcommand (`helm --kube-context x -n ci upgrade …`), read by GLOBAL_FLAGS.
 */
const COMMAND = /(?<![A-Za-z0-9_.-])helm(?:\\\r?\n)*[ \t](?:[ \t]|\\\r?\n)*(?:(install|upgrade|template)(?=[ \t]|\\\r?\n|\r?\n|$)|(?=-))/g;
const VERBS = new Set(['install', 'upgrade', 'template']);
/**
 * Helm's global flags, which may come before the subcommand, and whether each takes a value (the
 * next word, or `=value`): "Options inherited from parent commands" of helm.sh/docs (helm env, Helm
 * 3.19 and 4.0; pkg/cli/environment.go AddFlags). Only --debug and --kube-insecure-skip-tls-verify
 * (and -h/--help) are switches.
 */
const GLOBAL_FLAGS: ReadonlyMap<string, boolean> = new Map([
  ...['burst-limit', 'color', 'colour', 'content-cache', 'kube-apiserver', 'kube-as-group', 'kube-as-user', 'kube-ca-file', 'kube-context', 'kube-tls-server-name', 'kube-token', 'kubeconfig', 'namespace', 'qps', 'registry-config', 'repository-cache', 'repository-config'].map((f) => [f, true] as const),
  ...['debug', 'kube-insecure-skip-tls-verify', 'help'].map((f) => [f, false] as const),
]);

/**
 * The words of `helm <global flags> <verb> …` from the first flag: the verb and the command's words,
 * the global flags among them (Helm reads a global flag wherever it is written); undefined where a
 * word before the verb is not a global flag (`helm --foo upgrade` fails; `helm -n ci repo add` is another command).
 */
function afterGlobalFlags(words: readonly Word[]): { verb: string; words: Word[] } | undefined {
  for (let i = 0; i < words.length; i++) {
    const t = words[i]!.text;
    if (VERBS.has(t)) return { verb: t, words: [...words.slice(0, i), ...words.slice(i + 1)] };
    const long = /^--([a-z][a-z-]*)(=|$)/.exec(t);
    const short = long ? undefined : /^-([nh])(.*)$/.exec(t);
    const name = long ? long[1]! : short ? (short[1] === 'n' ? 'namespace' : 'help') : undefined;
    const takes = name !== undefined ? GLOBAL_FLAGS.get(name) : undefined;
    if (takes === undefined) return undefined;
    if (takes && (long ? long[2] === '' : short![2] === '')) i++;
  }
  return undefined;
}

/**
 * The text as the shell of a CI job gets it where a command is in a folded YAML block scalar
 * (`script: [ >- … ]`, `run: >`) or in a plain scalar over several lines (`- helm upgrade … ` then
 * `  -n ci` more indented, no quotes, no `|`/`>`): YAML joins two lines of the block at its
 * indentation, and two non-empty lines of a plain scalar, by a space (YAML 1.2.2 §8.1.3 "Folded
 * Style", §7.3.3 "Plain Style", line folding §6.5), so a command written over such lines is one
 * line. Each such line break is replaced by a blank, so every offset stays that of the file. A
 * literal block (`|`) keeps its line breaks, as the shell then reads them. A plain line ending in
 * `\` is folded by YAML too, and the shell then gets `\ `, an escaped blank: one word of a blank and
 * the next line's first word, which helm takes as one more argument. The view keeps that break (the
 * command is read as its author meant it, the shell joining the lines) and `strays`, where given,
 * gets the offset of each such `\`, for the reader to say the command as written is not that one
 * (stop 61d). One pass over the lines.
 */
export function foldedView(text: string, strays?: number[]): string {
  const lines = text.split('\n');
  // fold[n]: the break after line n becomes a blank.
  const fold: boolean[] = [];
  // The offset of each line's start, for `strays`.
  let lineAt = 0;
  // The last plain-scalar line ended in `\`: where that `\` is.
  let stray = -1;
  let content = -1;
  let header = -1;
  let folded = false;
  // A plain scalar over lines: the column its lines must be indented past (a `- `'s or a key's), and whether the line before was one of them.
  let plain = -1;
  let plainBefore = false;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    const at = lineAt;
    lineAt += line.length + 1;
    const body = line.replace(/\r$/, '');
    const indent = body.length - body.trimStart().length;
    const blank = indent === body.length;
    if (content >= 0 && !blank && indent < content) content = -1;
    else if (content < 0 && header >= 0 && !blank) {
      if (indent > header) content = indent;
      header = -1;
    }
    if (content >= 0) {
      // The break after this line folds where this line and the next are both at the block's indentation.
      const next = lines[n + 1]?.replace(/\r$/, '');
      const nextIndent = next === undefined ? -1 : next.length - next.trimStart().length;
      if (folded && !blank && indent === content && next !== undefined && nextIndent === content && nextIndent < next.length) fold[n] = true;
      continue;
    }
    if (plain >= 0) {
      if (blank) {
        // An empty line in a plain scalar is a line break of its own: the lines around it are not joined.
        plainBefore = false;
        stray = -1;
        continue;
      }
      if (indent > plain && body[indent] !== '#') {
        if (plainBefore) fold[n - 1] = true;
        if (stray >= 0) strays?.push(stray);
        // A comment (` #`) ends the scalar; a `\` at the end keeps the break after it (above).
        plainBefore = !/\\$/.test(body.trimEnd());
        // A `\` after a comment's ` #` is the comment's.
        stray = plainBefore || /[ \t]#/.test(body) ? -1 : at + body.trimEnd().length - 1;
        if (/[ \t]#/.test(body)) plain = -1;
        continue;
      }
      plain = -1;
      stray = -1;
    }
    const t = body.trimEnd();
    const h = /[ \t]([>|])(?:[1-9]?[-+]?|[-+][1-9])$/.exec(t);
    if (h !== null) {
      const before = t.slice(0, h.index).trimEnd();
      if (before.endsWith(':') || before.endsWith('-')) {
        header = indent;
        folded = h[1] === '>';
        continue;
      }
    }
    // A plain scalar starting on this line after `- ` or `key: `: its lines go on while more indented than the `-` or the key.
    const start = PLAIN_START.exec(t);
    if (start !== null && start[3] !== undefined && (start[1] !== undefined || start[2] !== undefined) && !/[ \t]#/.test(start[3])) {
      plain = start[2] !== undefined ? t.length - start[3].length - start[2].length : t.lastIndexOf('-', t.length - start[3].length);
      plainBefore = !t.endsWith('\\');
      stray = plainBefore ? -1 : at + t.length - 1;
    }
  }
  if (fold.length === 0) return text;
  let out = '';
  for (let n = 0; n < lines.length; n++) out += n === 0 ? lines[0]! : `${fold[n - 1] === true ? ' ' : '\n'}${lines[n]!}`;
  return out;
}

/**
 * A line of a YAML block that starts a plain scalar: `- value` (at most two `- `), `key: value` or
 * `- key: value`; 1: a `-`, 2: the key and its `:` and blanks, 3: the value, which starts with no
 * indicator (YAML 1.2.2 §7.3.3: not `-?:` before a blank, nor `,[]{}#&*!|>'"%@` or a backquote).
 */
const PLAIN_START = /^[ \t]*(?:(-)[ \t]+)?(?:-[ \t]+)?([A-Za-z0-9_][A-Za-z0-9_ ./-]*:[ \t]+)?([^-?:,[\]{}#&*!|>'"%@`\s][^\n]*|[-?:][^ \t\n][^\n]*)$/;

/** At most this many characters of one command are read, and a command this far into one line is not looked for (a minified or generated line). */
const MAX_COMMAND = 16_384;
/** At most this many commands are looked at in one file. */
const MAX_COMMANDS = 500;

/** Helm's flags of install, upgrade and template that take a value (the next word, or `=value`); the others are switches. */
const VALUE_FLAGS = new Set([
  'namespace', 'values', 'set', 'set-string', 'set-file', 'set-json', 'set-literal', 'version', 'repo', 'timeout', 'kube-context', 'kubeconfig',
  'description', 'name-template', 'post-renderer', 'post-renderer-args', 'ca-file', 'cert-file', 'key-file', 'keyring', 'username', 'password',
  'history-max', 'output', 'api-versions', 'kube-version', 'output-dir', 'show-only', 'labels', 'kube-apiserver', 'kube-as-user', 'kube-as-group',
  'kube-ca-file', 'kube-token', 'kube-tls-server-name', 'registry-config', 'repository-cache', 'repository-config', 'burst-limit', 'qps', 'wait',
]);
const SHORT: Readonly<Record<string, string>> = { n: 'namespace', f: 'values', o: 'output', a: 'api-versions', s: 'show-only', l: 'labels', g: 'generate-name', i: 'install' };
/** `--wait` takes a value only as `--wait=…` (Helm 4's strategy); written alone it is a switch. */
const OPTIONAL_VALUE = new Set(['wait', 'dry-run']);
const SET_KINDS = ['set-json', 'set', 'set-string', 'set-file', 'set-literal'] as const;
const TOKEN_KEYS = new Set(['runnerToken', 'runnerRegistrationToken']);
/** The flags that change the release a command makes: two commands that differ in others make the same release. */
const RELEASE_FLAGS = new Set(['namespace', 'values', 'version', 'reuse-values', 'reset-then-reuse-values', 'generate-name', ...SET_KINDS]);

interface Flag { name: string; value: Word | undefined; at: Word }
interface Parsed { positionals: Word[]; flags: Flag[]; unread: Word[] }

function parseArgs(words: readonly Word[]): Parsed {
  const out: Parsed = { positionals: [], flags: [], unread: [] };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const t = w.text;
    if (t === '--') {
      out.positionals.push(...words.slice(i + 1));
      break;
    }
    if (/^\d*(?:>>?|<)/.test(t)) {
      // A redirection (`> out.yaml`, `2>&1`): the shell's, not helm's.
      if (/^\d*(?:>>?|<)(?:&\d*-?)?$/.test(t)) i++;
      continue;
    }
    const long = /^--([A-Za-z0-9-]+)(?:=([\s\S]*))?$/.exec(t);
    const short = long ? undefined : /^-([A-Za-z])(?:=?([\s\S]+))?$/.exec(t);
    if (!long && !short) {
      // A word the shell splits into words known only when it runs (`$HELM_ARGS`): flags it holds are not read.
      if (w.expansion && out.positionals.length >= 2) out.unread.push(w);
      else out.positionals.push(w);
      continue;
    }
    const name = long ? long[1]! : (SHORT[short![1]!] ?? short![1]!);
    const inline = long ? long[2] : short![2];
    if (inline !== undefined) {
      const offset = t.length - inline.length;
      // The value's escaped form (a single-quoted `$`) is the word's after the same flag name, which holds no `$` or `\`.
      const escaped = w.escaped?.startsWith(t.slice(0, offset)) ? w.escaped.slice(offset) : undefined;
      out.flags.push({ name, value: { text: inline, at: w.at + offset, expansion: w.expansion, ...(escaped !== undefined ? { escaped } : {}) }, at: w });
    } else if (VALUE_FLAGS.has(name) && !OPTIONAL_VALUE.has(name) && i + 1 < words.length) out.flags.push({ name, value: words[++i]!, at: w });
    else out.flags.push({ name, value: undefined, at: w });
  }
  return out;
}

/**
 * The `key=value` pairs of one `--set`/`--set-string` argument (Helm's strvals): split at commas
 * outside `{…}` and not escaped (`\,`); the value's escapes undone, the key's kept for helmSetPath.
 */
export function setPairs(arg: string): { key: string; value: string | undefined; valueAt: number }[] {
  const out: { key: string; value: string | undefined; valueAt: number }[] = [];
  let key = '';
  let value: string | undefined;
  let valueAt = 0;
  let depth = 0;
  for (let i = 0; i < arg.length; i++) {
    const c = arg[i]!;
    if (c === '\\' && i + 1 < arg.length) {
      if (value === undefined) key += c + arg[i + 1]!;
      else value += arg[i + 1]!;
      i++;
    } else if (value === undefined && c === '=') {
      value = '';
      valueAt = i + 1;
    }
    else if (value !== undefined && c === '{') {
      depth++;
      value += c;
    } else if (value !== undefined && c === '}' && depth > 0) {
      depth--;
      value += c;
    } else if (c === ',' && depth === 0) {
      out.push({ key, value, valueAt });
      key = '';
      value = undefined;
      valueAt = i + 1;
    } else if (value === undefined) key += c;
    else value += c;
  }
  out.push({ key, value, valueAt });
  return out.filter((p) => p.key !== '' || p.value !== undefined);
}

/** A `--set` value as Helm types it: `{a,b}` a list of values, else one. */
function setValue(v: string, string: boolean): unknown {
  const typed = (x: string): unknown => (string ? x : autoTyped(x));
  if (v.startsWith('{') && v.endsWith('}')) {
    const inner = v.slice(1, -1);
    return inner === '' ? [] : inner.split(',').map(typed);
  }
  return typed(v);
}

/**
 * The value a `--set` of one kind gives its key, as helm reads it: `set-json` the JSON (undefined where
 * the text is not JSON: helm refuses it), `set-literal` the text as written, `set-string` the text (a
 * `{a,b}` list of texts), `set` typed (setValue); a runner token replaced by its stand-in.
 */
export function setKindValue(kind: string, key: string, text: string): { value: unknown } | undefined {
  if (kind === 'set-json') {
    try {
      return { value: JSON.parse(text) as unknown };
    } catch {
      return undefined;
    }
  }
  const s = setWithTokenStandIn({ name: key, value: text });
  return { value: s.value !== text ? s.value : kind === 'set-literal' ? text : setValue(text, kind === 'set-string') };
}

function finding(code: Code, at: Position, message: string, fix: string): Finding {
  return { code, severity: CODES[code].severity, path: formatPosition(at), message, fix };
}

/** Reads every `helm install|upgrade|template` of the gitlab-runner chart in the files given into `ev.helmValues`; RF948 for a namespace Kubernetes refuses given to helm or kubectl. */
export function readHelmCommands(ev: Evidence): void {
  for (const [path, text] of ev.texts ?? []) {
    if (!readsCommands(path) || (!text.includes('helm') && !text.includes('kubectl'))) continue;
    readFile(ev, path, text);
  }
}

function readFile(ev: Evidence, path: string, text: string): void {
  let lines: LineIndex | undefined;
  const pos = (offset: number): Position => ({ file: path, ...(lines ??= new LineIndex(text)).pos(offset) });
  let vars: Map<string, string | null> | undefined;
  // A script runs top to bottom once: a command reads the names in force at it (shell-vars.ts inForce); a CI file's are set once.
  let order: ReturnType<typeof inForce> | undefined;
  const forms = makefileForms(path);
  // In a script a `$` inside `'…'` is a literal character (the word's escaped form); make expands a recipe's `$(X)` before the shell reads its
  // quotes, and its `'$$X'` reaches the shell as `'$X'`, the characters as written (shell-vars.ts recipeWord).
  const word = (w: Word): string => (forms.makefile ? recipeWord(w.text, w.escaped) : (w.escaped ?? w.text));
  // A Makefile's recipe reads its target's own values too (`deploy: NS = b`, shell-vars.ts makeVarsAt).
  let recipes: ReturnType<typeof makeVarsAt> | undefined;
  // A GitLab CI job's before_script and script items run in one shell, in order, over its variables (ci-job-vars.ts); elsewhere in a CI file the names set once.
  let jobs: ReturnType<typeof ciJobVars> | null | undefined;
  const jobAt = (at: number): VarSource | undefined => (GITLAB_CI.test(path) && (jobs ??= ciJobVars(text) ?? null) !== null ? jobs(at) : undefined);
  const varsAt = (at: number): VarSource => (SCRIPT.test(path) ? (order ??= inForce(text)).at(at) : forms.makefile ? (recipes ??= makeVarsAt(text)).at(at) : (jobAt(at) ?? (vars ??= assignedOnce(text, forms))));
  const expandAt = (at: number) => (w: Word): string | undefined => (w.text.includes('$') ? expandWord(word(w), varsAt(at), forms) : w.text);
  // A CI file's folded scalars as the job's shell gets them; the same offsets as the file's.
  const strays: number[] = [];
  const view = CI_FILE.test(path) ? foldedView(text, strays) : text;
  // The next stray `\` (foldedView) not before the command looked at: commands are met in order, so one pass over them.
  let stray = 0;
  const seen = new Set<string>();
  const refused = new RefusedGroups();
  let looked = 0;
  COMMAND.lastIndex = 0;
  const commented = shellCommentScanner(view);
  // A script's array `A=(` that no `)` closes: bash stops with a syntax error before that line runs (shell-vars.ts UnclosedArray), so no command from there on runs.
  const unclosed = SCRIPT.test(path) && text.includes('=(') ? (order ??= inForce(text)).unclosed : undefined;
  const skipped: string[] = [];
  for (let m = COMMAND.exec(view); m !== null && looked < MAX_COMMANDS; m = COMMAND.exec(view)) {
    looked++;
    const start = pos(m.index);
    if (start.column > MAX_COMMAND || commented(m.index)) continue;
    const from = m.index + m[0].length;
    const words = shellWords(view, from, Math.min(view.length, from + MAX_COMMAND));
    const command = m[1] !== undefined ? { verb: m[1], words } : afterGlobalFlags(words);
    if (command === undefined) continue;
    if (unclosed !== undefined && m.index >= unclosed.from) {
      skipped.push(`helm ${command.verb} (line ${start.line})`);
      continue;
    }
    const args = parseArgs(command.words);
    while (stray < strays.length && strays[stray]! < m.index) stray++;
    const lastAt = words.at(-1)?.at ?? m.index;
    const folded = stray < strays.length && strays[stray]! < lastAt ? strays[stray] : undefined;
    const release = readCommand(ev, path, text, command.verb, start, args, expandAt(m.index), varsAt(m.index), pos, refused, folded);
    if (!release) continue;
    // The same release written again (a Makefile's install, upgrade and template targets): read once.
    if (seen.has(release.key)) continue;
    seen.add(release.key);
    release.read();
  }
  // kubectl's `-n`/`--namespace` and `create namespace NAME` (kubectl-namespace.ts), in the same groups as helm's `-n`.
  if (text.includes('kubectl')) skipped.push(...readKubectlNamespaces(view, expandAt, varsAt, pos, (value, w, c, tool) => refusedNamespacePlace(refused, path, value, w, c, tool), unclosed?.from));
  ev.findings.push(...refused.findings());
  if (unclosed !== undefined && skipped.length > 0) {
    const named = skipped.length > 3 ? `${skipped.slice(0, 3).join(', ')} and ${skipped.length - 3} more` : skipped.length > 1 ? `${skipped.slice(0, -1).join(', ')} and ${skipped.at(-1)!}` : skipped[0]!;
    ev.findings.push(finding('RF901', pos(unclosed.at), `${path}: the array assignment on line ${unclosed.line} opens \`(\` and no \`)\` closes it; bash reads an array over lines up to its \`)\`, so it reads to the end of the file and stops with a syntax error ("unexpected EOF while looking for matching \`)'") before it runs anything of that line, and nothing after it runs: ${named} ${skipped.length > 1 ? 'never run and are' : 'never runs and is'} not read`, 'close the array with `)` where its elements end'));
  }
}

function readCommand(ev: Evidence, path: string, text: string, verb: string, start: Position, args: Parsed, expand: (w: Word) => string | undefined, vars: VarSource, pos: (offset: number) => Position, refused: RefusedGroups, folded?: number): { key: string; read: () => void } | undefined {
  const flag = (name: string): Flag[] => args.flags.filter((f) => f.name === name);
  const last = (name: string): Flag | undefined => flag(name).at(-1);
  const generated = flag('generate-name').length > 0 || (verb === 'template' && args.positionals.length === 1);
  const [nameWord, chartWord] = generated ? [undefined, args.positionals[0]] : [args.positionals[0], args.positionals[1]];
  if (!chartWord) return undefined;
  const chart = expand(chartWord);
  const repoFlag = last('repo');
  const repo = repoFlag?.value ? expand(repoFlag.value) : undefined;
  const releaseName = nameWord ? expand(nameWord) : undefined;
  // A CI job runs in the repository's root: a GitHub workflow's two folders up (GITHUB_WORKSPACE), an included `.gitlab/ci/` file's too (CI_PROJECT_DIR).
  const ci = /(?:^|[\\/])\.(?:github[\\/]workflows|gitlab[\\/]ci)[\\/][^\\/]+$/.exec(path);
  let dir = ci ? path.slice(0, ci.index + (ci[0].startsWith('.') ? 0 : 1)) : path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '';
  const command = `helm ${verb}${releaseName !== undefined ? ` ${safeText(releaseName, 63)}` : ''}`;
  if (chart === undefined) {
    // The chart is known only when the command runs: said where something names the runner chart.
    if (!/gitlab-runner/.test(`${chartWord.text} ${nameWord?.text ?? ''}`)) return undefined;
    return {
      key: `unknown:${chartWord.text}`,
      read: () => {
        ev.findings.push(finding('RF903', pos(chartWord.at), `${command}: its chart ${safeText(chartWord.text, 100)} is set from ${notLiteral(path)}, so which chart it installs, and with which values, is known only when the command runs; its runner's chain is not proven`, setLiteral(path, 'write the chart (gitlab/gitlab-runner, or the chart folder) literally')));
        ev.chartsUnread = (ev.chartsUnread ?? 0) + 1;
      },
    };
  }
  // A chart folder given (its Chart.yaml among the files): Helm installs a path that exists before looking in any repository.
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(chart) || chart.endsWith('.tgz');
  let folder = !url && repo === undefined ? localChartFolder(`${dir}-`, chart) : undefined;
  let chartYaml = folder !== undefined ? chartYamlOf(ev, folder) : undefined;
  if (chartYaml === undefined && SCRIPT.test(path) && /^\.\/*$/.test(chart)) {
    // `helm install NAME .` in a script inside a chart's folder tree (chart/scripts/ci.sh): such a
    // script is run from the chart's folder, the nearest folder above it with a Chart.yaml; its -f paths are read from there too.
    const above = ancestorChart(ev, dir);
    if (above !== undefined) [folder, chartYaml, dir] = [above.folder, above.chartYaml, above.folder];
  }
  const runner = chartYaml !== undefined ? chartYaml.name === 'gitlab-runner' : isRunnerChart(chart.replace(/^oci:\/\//, ''), repo);
  if (!runner && chartYaml === undefined && gitlabChart(chart, repo) && !flag('set').some((f) => /^gitlab-runner\.install=false$/.test(f.value?.text ?? ''))) {
    // The GitLab chart (charts.gitlab.io `gitlab`) deploys a runner as its gitlab-runner subchart
    // (gitlab-runner.install, true in its values.yaml), its values under `gitlab-runner:` of the
    // release's: a runner the doctor does not read through this chart, said rather than "no runner manager".
    return {
      key: `gitlab-chart:${JSON.stringify([releaseName, chart])}`,
      read: () => {
        ev.findings.push(finding('RF903', pos(chartWord.at), `${command}: installs the GitLab chart ${safeText(chart, 100)}, which deploys a GitLab Runner as its gitlab-runner subchart (gitlab-runner.install, true unless its values set it false), configured by the values under gitlab-runner:; the doctor does not read the runner of the GitLab chart, so its chain is not proven`, 'to have the runner checked, install it as its own release of gitlab/gitlab-runner (with gitlab-runner.install: false in the GitLab chart), or give the rendered manifests (helm template) of this release'));
        ev.chartsUnread = (ev.chartsUnread ?? 0) + 1;
      },
    };
  }
  if (!runner) return undefined;
  // What makes the release: its name, chart, namespace, version and values (not --atomic, --timeout, --debug, …).
  const key = JSON.stringify([releaseName, chart, repo, ...args.flags.filter((f) => RELEASE_FLAGS.has(f.name)).map((f) => [f.name, f.value?.text])]);
  return { key, read: () => readRelease(ev, path, text, { verb, start, args, expand, vars, pos, command, releaseName, nameWord, dir, chartFolder: chartYaml !== undefined ? folder : undefined, chartVersion: chartYaml !== undefined && typeof chartYaml.version === 'string' ? chartYaml.version : undefined, folded, refused }) };
}

/** The GitLab chart of charts.gitlab.io: `<repo alias>/gitlab` (the alias `helm repo add` gave it), or `gitlab` with --repo naming charts.gitlab.io. */
function gitlabChart(chart: string, repo: string | undefined): boolean {
  if (repo !== undefined) return chart === 'gitlab' && /^https?:\/\/charts\.gitlab\.io\/?$/.test(repo);
  return /^[\w.-]+\/gitlab$/.test(chart);
}

/** The nearest folder above `dir` (`a/b/`) that holds a Chart.yaml, with it; undefined where none does. */
function ancestorChart(ev: Evidence, dir: string): { folder: string; chartYaml: Record<string, unknown> } | undefined {
  const parts = normalPath(dir).split('/').filter((p) => p !== '');
  for (let n = parts.length - 1; n >= 0; n--) {
    const folder = n === 0 ? '' : `${parts.slice(0, n).join('/')}/`;
    const chartYaml = chartYamlOf(ev, folder);
    if (chartYaml !== undefined) return { folder, chartYaml };
  }
  return undefined;
}

interface Command {
  verb: string;
  start: Position;
  args: Parsed;
  expand: (w: Word) => string | undefined;
  /** The variables where the command runs (shell-vars.ts), with where each known value is written. */
  vars: VarSource;
  pos: (offset: number) => Position;
  command: string;
  releaseName: string | undefined;
  nameWord: Word | undefined;
  dir: string;
  chartFolder: string | undefined;
  chartVersion: string | undefined;
  /** Where a plain CI scalar's line ends in a `\` that YAML folds (foldedView's strays): the command as written is not the one read. */
  folded?: number | undefined;
  /** The file's RF948 groups (one finding per file and value, or per variable assigned once: refusedNamespacePlace). */
  refused: RefusedGroups;
}

/**
 * RF948 of a helm command's `-n` that Kubernetes refuses, into the file's groups: where the word is
 * one variable (`-n "$NS"`, `--namespace $NS`, a Makefile's `$(NS)`) whose value read there is the
 * literal of one assignment (shell-vars.ts VarSource.at: in a script the assignment in force at the
 * command, `NS=Runners`; in a Makefile or CI file the one line that sets it, `NS := Runners`), one
 * finding at that assignment, naming the commands that read it: the one place to correct; else one
 * per file and value, at the first command.
 */
export function refusedNamespacePlace(groups: RefusedGroups, path: string, value: string, word: Word, c: { pos: (offset: number) => Position; command: string; vars: VarSource }, tool: RefusedTool = HELM): void {
  const fix = isMakefileName(path) ? makefileNamespaceFix(word.text) : undefined;
  const at = () => c.pos(word.at);
  const name = (isMakefileName(path) ? /^"?\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]"?$/ : /^"?\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?"?$/).exec(word.text)?.[1];
  const assigned = name !== undefined ? c.vars.at?.(name) : undefined;
  const { consequence, consequenceOfAll } = tool;
  if (assigned !== undefined) {
    groups.use(`var\0${name!}\0${assigned}\0${value}`, () => ({ value, kind: 'namespace', at: () => c.pos(assigned), what: `the variable ${name!}`, consequence, consequenceOfAll, ...(fix !== undefined ? { fix } : {}) }), { name: c.command, at, tool });
    return;
  }
  groups.add(`\0${value}`, () => ({ value, kind: 'namespace', at, what: c.command, consequence, consequenceOfAll, tool, ...(fix !== undefined ? { fix } : {}) }), { name: c.command, at, tool });
}

/** What a refused namespace does to the commands of one tool (`label`: helm, kubectl): said of one command, and of several; a group of both says each (namespace-names.ts mixedConsequence). */
export type RefusedTool = PlaceTool;
const HELM: RefusedTool = {
  label: 'helm',
  consequence: 'helm stops before it installs anything (the API server refuses the namespace), so no manager runs from this command; its chain is not read with that namespace',
  consequenceOfAll: 'helm stops before it installs anything for each of these commands (the API server refuses the namespace), so no manager runs from them; their chains are not read with that namespace',
};

function readRelease(ev: Evidence, path: string, text: string, c: Command): void {
  const { args, expand, pos, command } = c;
  const flags = (name: string): Flag[] => args.flags.filter((f) => f.name === name);
  const merged = new MergedValues();
  const findings = ev.findings;
  /** What the command gives that is known only when it runs: said once, at the command. */
  const unknown: string[] = [];
  let read = true;
  let valuesUnread = false;

  // 0. A chart folder's own values.yaml edited to be the deployment's (read alone as values): the bottom layer.
  if (c.chartFolder !== undefined && !ev.chartDefaults?.has(c.chartFolder)) {
    const own = [...(ev.texts?.keys() ?? [])].find((p) => /^values\.ya?ml$/.test(normalPath(p).slice(c.chartFolder!.length)) && normalPath(p).startsWith(c.chartFolder!) && !normalPath(p).slice(c.chartFolder!.length).includes('/'));
    if (own !== undefined) read = mergeGivenFile(ev, merged, own, c.start, `${command}: the chart's values.yaml`, findings) && read;
  }

  // 1. -f/--values files in order (a flag may list several, separated by commas).
  for (const f of flags('values')) {
    if (!f.value) continue;
    const written = expand(f.value);
    const at = pos(f.value.at);
    if (written === undefined) {
      findings.push(finding('RF903', at, `${command}: the values file ${safeText(f.value.text, 100)} is named by ${notLiteral(path)}, so which file it is, and what it sets, is known only when the command runs and is not proven`, setLiteral(path, 'name the values file literally')));
      valuesUnread = true;
      continue;
    }
    for (const rel of written.split(',')) {
      if (rel === '') continue;
      if (rel === '-' || /^[a-z][a-z0-9+.-]*:\/\//i.test(rel)) {
        findings.push(finding('RF903', at, `${command}: the values ${rel === '-' ? 'read from standard input (-f -)' : `file ${safeText(rel, 100)}, fetched from a URL when the command runs,`} are not among the files given, so what they set is not proven`, 'give the values as a file beside the command, named by -f'));
        valuesUnread = true;
        continue;
      }
      const want = normalPath(rel.startsWith('/') ? rel.slice(1) : `${c.dir}${rel}`);
      const given = [...(ev.texts?.keys() ?? [])].find((p) => normalPath(p) === want);
      if (given === undefined) {
        findings.push(finding('RF903', at, `${command}: the values file ${safeText(rel, 100)} is not among the files given, so what it sets is not proven`, `give ${safeText(rel, 100)} with ${path}`));
        valuesUnread = true;
        continue;
      }
      read = mergeGivenFile(ev, merged, given, at, `${command}: -f ${safeText(rel, 100)}`, findings) && read;
    }
  }

  // 2. --set-json, --set, --set-string, --set-file, --set-literal: each kind in the order given.
  for (const kind of SET_KINDS) {
    for (const f of flags(kind)) {
      if (!f.value) continue;
      const at = pos(f.value.at);
      if (kind === 'set-file') {
        findings.push(finding('RF903', at, `${command}: --set-file ${safeText(f.value.text.split('=')[0]!, 100)} sets a value to the content of a file when the command runs, which the doctor does not read, so what it sets is not proven`, 'set the value in a values file given with -f'));
        valuesUnread = true;
        continue;
      }
      const expanded = f.value.text.includes('$') ? expand(f.value) : f.value.text;
      const arg = expanded ?? f.value.text;
      // Known as a whole (no variable left to the run): a `$` left in it is a character helm is given
      // as is, from `'…'` in a script (POSIX Shell Command Language 2.2.2: single quotes keep every character).
      const known = expanded !== undefined;
      const eq = arg.indexOf('=');
      const pairs = kind === 'set-literal' || kind === 'set-json' ? [{ key: eq < 0 ? arg : arg.slice(0, eq), value: eq < 0 ? undefined : arg.slice(eq + 1), valueAt: eq + 1 }] : setPairs(arg);
      // A value is placed at itself where the argument is written as read (bare, or in one pair of quotes), as a values file's value is; else at the argument.
      const written = arg === f.value.text ? (text.startsWith(arg, f.value.at) ? f.value.at : text.startsWith(arg, f.value.at + 1) ? f.value.at + 1 : undefined) : undefined;
      const valueAt = (p: { valueAt: number }): Position => (written !== undefined && p.valueAt > 0 ? pos(written + p.valueAt) : at);
      for (const p of pairs) {
        const setPath = p.key.includes('$') && !known ? undefined : helmSetPath(p.key);
        if (p.key.includes('$') && !known) {
          unknown.push(`--${kind} ${safeText(p.key, 80)}`);
          valuesUnread = true;
          continue;
        }
        if (!setPath || p.value === undefined) {
          findings.push(finding('RF901', at, `${command}: --${kind} ${JSON.stringify(safeText(p.key, 80))} is not key=value over a Helm value path; helm refuses it`, 'write key=value, keys separated by dots, `\\.` for a dot inside a key, [n] for a list index'));
          continue;
        }
        // A value the shell fills in: a token so given is not written in the file (as a reference is not); any other is not known.
        if ((p.value.includes('$') && (!known || TOKEN_KEYS.has(p.key))) || p.value.includes('`')) {
          if (!TOKEN_KEYS.has(p.key)) unknown.push(`--${kind} ${safeText(p.key, 80)}`);
          continue;
        }
        const value = setKindValue(kind, p.key, p.value);
        if (value === undefined) {
          findings.push(finding('RF901', at, `${command}: --set-json ${safeText(p.key, 80)} is not given JSON; helm refuses it`, 'write the value as JSON'));
          continue;
        }
        const place = valueAt(p);
        merged.set(setPath, value.value, () => place);
      }
    }
  }

  // 3. --reuse-values: the values of the release's last revision (in the cluster) under these.
  const reuse = args.flags.find((f) => f.name === 'reuse-values' || f.name === 'reset-then-reuse-values');
  if (reuse && c.verb === 'upgrade' && !/^(?:false|0)$/i.test(reuse.value?.text ?? '')) {
    findings.push(finding('RF903', pos(reuse.at.at), `${command}: ${reuse.at.text.split('=')[0]} keeps the values of the release's last revision in the cluster, which the files do not hold, under the -f files and --set given; a key neither sets may be set there, so it is not proven`, 'give every value with -f and --set (then --reuse-values can go), or give the values the release has (helm get values)'));
    valuesUnread = true;
  }
  if (args.unread.length > 0) {
    unknown.push(`${args.unread.map((w) => safeText(w.text, 60)).slice(0, 3).join(', ')} (words known only when the command runs: the flags they hold are not read)`);
    valuesUnread = true;
  }

  // 4. The namespace: -n/--namespace, else the kubeconfig context's (or $HELM_NAMESPACE), which the files do not show.
  const nsFlag = flags('namespace').at(-1);
  const expanded = nsFlag?.value ? expand(nsFlag.value) : undefined;
  // A namespace Kubernetes refuses (`-n '$NS'` in a Makefile recipe gives the literal $NS): helm
  // stops, and the release is in no namespace: RF948 at the flag, and no manager namespace carried on.
  const refused = expanded !== undefined && nsFlag?.value !== undefined && namespaceRefused(expanded) !== undefined;
  if (refused) refusedNamespacePlace(c.refused, path, expanded, nsFlag.value!, c);
  const namespace = refused ? undefined : expanded;
  // What is not known at the command's own place is one finding (one RF903 per place is said: onePerPlace in index.ts), its clauses and fixes joined.
  const clauses: string[] = [];
  const fixes: string[] = [];
  if (!nsFlag?.value) {
    clauses.push('no -n/--namespace is given, so helm installs the release in the namespace of the kubeconfig context it runs with (or $HELM_NAMESPACE), which the files do not show; the namespace the manager runs in is not known and its identity chain is not proven');
    fixes.push('give the namespace with -n <namespace>');
  } else if (namespace === undefined && !refused) findings.push(finding('RF903', pos(nsFlag.value.at), `${command}: its namespace ${safeText(nsFlag.value.text, 100)} is set from ${notLiteral(path)}, so the namespace the manager runs in is known only when the command runs and its identity chain is not proven`, setLiteral(path, 'write the namespace literally')));
  const versionFlag = flags('version').at(-1);
  const version = versionFlag?.value ? expand(versionFlag.value) : undefined;
  const names: string[] = [];
  if (versionFlag?.value && version === undefined) names.push(`the chart version ${safeText(versionFlag.value.text, 60)} (the checks of one chart version take none)`);
  if (c.releaseName === undefined && c.nameWord !== undefined) names.push(`the release name ${safeText(c.nameWord.text, 60)}`);
  if (unknown.length > 0) clauses.push(`${unknown.join(', ')} ${unknown.length > 1 ? 'give values' : 'gives a value'} known only when the command runs (${notLiteral(path)}, or a command's output), so what ${unknown.length > 1 ? 'they set' : 'it sets'} is not read and not proven`);
  if (names.length > 0) clauses.push(`${names.join(' and ')} ${names.length > 1 ? 'are' : 'is'} known only when the command runs`);
  const setAll = SCRIPT.test(path) ? 'set the variables to literals before the command' : 'set the variables once to literals in the same file';
  if (unknown.length > 0 || names.length > 0) fixes.push(`${unknown.length > 0 ? 'write the values in a values file given with -f' : 'write them literally'}, or ${setAll}`);
  if (c.folded !== undefined) {
    // The word the shell makes of `\ ` and the next line's first word (the view keeps the break after the `\`).
    const next = /^\r?\n[ \t]*([^ \t\r\n]{0,60})/.exec(text.slice(c.folded + 1, c.folded + 200))?.[1] ?? '';
    // helm takes at most a release and a chart (cmd/helm/install.go nameAndChart: "expected at most two arguments"; upgrade: require.ExactArgs(2)).
    clauses.push(`the plain YAML scalar's line ${pos(c.folded).line} ends in \`\\\`, and YAML folds a plain scalar's lines into one (YAML 1.2.2 §7.3.3, §6.5) before the job's shell reads it, so the \`\\\` escapes the blank after it and helm is given the word \`${safeText(` ${next}`, 70)}\` (a blank, then the next line's first word) instead of \`${safeText(next, 60)}\`: one argument more than the release and chart helm takes, or a release or chart name with a blank before it, so the command as written stops with an error; it is read here as if the lines were joined, which is not proven`);
    fixes.push('remove the `\\` at the line ends (YAML joins a plain scalar\'s lines itself), or write the command in a literal block (`- |`), where the shell gets each line break after its `\\`');
  }
  if (clauses.length > 0) findings.push(finding('RF903', c.start, `${command}: ${clauses.join('; ')}`, fixes.join('; ')));
  if (!read) {
    ev.chartsUnread = (ev.chartsUnread ?? 0) + 1;
    return;
  }
  const file = new SourceFile(path, text, 'yaml');
  const installedBy = `\`${c.command}\` at ${path}:${c.start.line}`;
  ev.helmValues.push({
    value: merged.value,
    origin: { source: new ReleaseSource(file, merged, () => c.start), doc: 0, path: [] as Path },
    ...(namespace !== undefined ? { namespace } : { namespaceUnknown: true as const }),
    ...(c.releaseName !== undefined ? { release: c.releaseName } : {}),
    ...(version !== undefined && version !== '' ? { chartVersion: version.replace(/^v(?=\d)/, '') } : c.chartVersion !== undefined ? { chartVersion: c.chartVersion } : {}),
    ...(valuesUnread ? { valuesUnread: true as const } : {}),
    ...(c.chartFolder !== undefined ? { chartFolder: c.chartFolder, installedBy } : {}),
  });
}
