import { safeText, type Finding } from '../spec/findings.js';
import { CODES, type Code } from '../spec/codes.js';
import { LineIndex } from './hcl/ast.js';
import { hclComments } from './hcl/parse.js';
import { takesValue } from './register-config.js';
import { addedAfter, definesFlag, nearestRegisterFlag, REGISTER_ALIASES, REGISTER_BOOLEAN_FLAGS, REGISTER_FLAGS, REGISTER_FLAGS_VERSION, removedBefore, removedFlag, runnerVersion, versionBefore, type RunnerVersion } from './register-flags.js';
import { pinnedRunnerVersion, runnerPins, templateVarsOf } from './runner-version.js';
import { shellCommentScanner } from '../platforms/aws-vm/shell-comment.js';
import { ansibleScripts, flowListScripts } from './ansible.js';
import { offsetInOriginal, yamlFileOf, type YamlFile } from './yaml-documents.js';
import { playVariables, type HiddenVariable, type KnownVariable } from './ansible-vars.js';
import { normalPath } from './hcl/eval.js';
import { conditionalClause, jinjaBranchesAt, jinjaBranches } from './jinja-branch.js';
import { hasCredentialShape, machineKey } from '../verify/credentials.js';
import { CREDENTIAL_MOUNT_FIX, hostVolumeFix, ON_SOME_HOST, volumeReach } from '../verify/docker-escape.js';
import { DOCKER_MACHINE_DEPRECATED, DOCKER_MACHINE_EXECUTOR, DOCKER_MACHINE_FLAG_FIX, machineKeyFix } from '../verify/runner-toml.js';

/**
 * `gitlab-runner register` in the files: a manager that makes its config.toml at boot from the
 * command's flags (user data, cloud-init, a script Terraform renders) rather than writing one.
 * Where a launch template or instance runs the command, the VM reader rebuilds that config.toml
 * from the flags (register-config.ts) and proves the manager. Wherever the command is, the flags
 * that make every job risky are read where they are written:
 * `--docker-privileged` (RF301), a Docker socket, a capability or a host device given to every job
 * (RF309), the deprecated registration token (RF912), and a docker-machine key option set to a
 * placeholder or a variable (`--machine-machine-options amazonec2-secret-key=$KEY`, RF928; one
 * written out is the credential scan's RF940, at the option). Flag names are gitlab-runner's
 * (commands/register.go and the `long:` names of its config structs, under their `docker-` namespace).
 */

/** Where one command's flags are: each flag's name, its value as written (quotes removed), and offsets in the text. */
export interface RegisterCommand {
  path: string;
  at: number;
  /** `name` is register's long name (`description` for `-name`), `written` the flag as written, dashes and all, without its `=value` (`-name`, `-r`, `--docker-privileged`). */
  flags: { name: string; written: string; value: string | undefined; at: number }[];
  /**
   * Where gitlab-runner stops reading flags before the end of the command (a word after a boolean
   * flag, `--`, a stray word): the word, the boolean flag it follows, and the flags written after
   * it that are therefore not set (names only).
   */
  stopped?: { word: string; at: number; after?: { name: string; written: string }; ignored: string[] };
  /**
   * The flag register does not define where Go's flag parsing reaches it (written literally, no
   * `$`): register stops there with "flag provided but not defined" and exits. It is also the last
   * of `flags`.
   */
  undefinedFlag?: { name: string; at: number };
  /**
   * The gitlab-runner version the script installs (runner-version.ts), whose flags the command was
   * read against: a flag that version defines and the current one no longer does (RF934) is a flag.
   */
  version?: RunnerVersion;
}

/**
 * A flag as a message names it: as the command writes it (`-name`, `--name`, `-r`), so the reader
 * finds it; with `long`, register's long name after it where the name written is another one
 * (`--name (register's --description)`), where the finding is about what that flag is.
 */
export function flagShown(f: { name: string; written: string }, long = false): string {
  return long && nameOf(f.written) !== f.name ? `${f.written} (register's --${f.name})` : f.written;
}

/**
 * Whether a flag name is one register does not define, written literally: a name with `$` or a
 * template's `${…}` is known only when the script runs, and is never said to be undefined. With the
 * version the script installs, that version's flags (register-flags.ts definesFlag), else the current ones.
 */
export const isUndefinedFlag = (name: string, version?: RunnerVersion): boolean => !name.includes('$') && !definesFlag(name, version);
/**
 * The runner's settings that are GitLab's, not config.toml's (commands/register.go
 * ensureServerConfigArgsEmpty): with a runner authentication token (`--token glrt-…`) register exits
 * with an error when any differs from its default; with a glrt- token passed as --registration-token
 * they are ignored; with a registration token they are sent to GitLab. Each with when it differs
 * from the default (`--locked` defaults to true).
 */
export const SERVER_SETTINGS: ReadonlyMap<string, (value: string | undefined) => boolean> = new Map<string, (value: string | undefined) => boolean>([
  ['locked', (v) => v !== undefined && /^(false|f|0)$/i.test(v)],
  ['run-untagged', (v) => v === undefined || /^(true|t|1)$/i.test(v)],
  ['paused', (v) => v === undefined || /^(true|t|1)$/i.test(v)],
  ['access-level', (v) => v !== ''],
  ['tag-list', (v) => v !== ''],
  ['maintenance-note', (v) => v !== ''],
  ['maximum-timeout', (v) => v !== '' && v !== '0'],
]);
/**
 * How register of the version a script installs takes `--token` (gitlab-org/gitlab-runner
 * commands/register.go askRunner, read at the release tags). v10.0.0 … v15.9.x: a token given with
 * --token is verified (POST /runners/verify) and written to config.toml as it is, and askRunner
 * returns before the runner's GitLab settings are read, so they are ignored, not refused. v15.10.0 and
 * v15.10.1: a glrt- token given with --token skips that, but askRunner then asks for the registration
 * token anyway and puts it in the token's place ("The registration-token needs to be entered" without
 * one, and the command exits). v15.11.0 (commit 0d9e3237, "Do not ask for registration token if runner
 * token is specified", !3995 in its CHANGELOG): --token glrt-… registers alone, and the runner's
 * GitLab settings make it exit (ensureServerConfigArgsEmpty). Without a pin, the current flow.
 */
export const TOKEN_FLOW_FROM = '15.11';
const TOKEN_ASKED_FROM = '15.10';

/**
 * The --token of a command register of the installed version does not take (15.10.x, a glrt- token
 * or one known only at boot, no --registration-token): register asks for a registration token and exits.
 */
export function tokenNotTaken(c: RegisterCommand, version = c.version): RegisterCommand['flags'][number] | undefined {
  if (version === undefined || versionBefore(version, TOKEN_ASKED_FROM) || !versionBefore(version, TOKEN_FLOW_FROM)) return undefined;
  if (c.flags.some((f) => f.name === 'registration-token')) return undefined;
  const token = c.flags.find((f) => f.name === 'token');
  if (token === undefined || (token.value !== undefined && !unknownValue(token.value) && !token.value.startsWith('glrt-'))) return undefined;
  return token;
}

/**
 * The flag of the runner's GitLab settings that makes register exit beside --token (no
 * --registration-token): only where the installed version registers with --token alone (15.11 and
 * later, or no pin); an older one verifies the token and ignores the settings (TOKEN_FLOW_FROM).
 */
export function refusedSetting(c: RegisterCommand, version = c.version): RegisterCommand['flags'][number] | undefined {
  if (version !== undefined && versionBefore(version, TOKEN_FLOW_FROM)) return undefined;
  if (!c.flags.some((f) => f.name === 'token') || c.flags.some((f) => f.name === 'registration-token')) return undefined;
  return c.flags.find((f) => SERVER_SETTINGS.get(f.name)?.(f.value));
}

/**
 * Where GitLab's registration-token flow stands, for every finding that names it: deprecated in 15.6
 * (gitlab-org/gitlab#380872), off by default since 17.0 (an instance or top-level group setting turns
 * it back on), removal moved from 18.0 to 20.0 (gitlab-org/gitlab#525239,
 * docs.gitlab.com/ci/runners/new_creation_workflow/).
 */
export const REGISTRATION_TOKEN_FLOW = 'deprecated by GitLab (since 15.6; off by default since GitLab 17.0, removal scheduled for 20.0)';
/**
 * A reference to a GitLab group's or project's registration token: `runners_token`, a sensitive
 * attribute of the GitLab provider's gitlab_group and gitlab_project, resources and data sources
 * alike ("The group level registration token to use during runner setup", "Registration token to
 * use during runner setup": terraform-provider-gitlab docs/resources/group.md, project.md,
 * docs/data-sources/group.md, project.md). Gives the address it is of (`gitlab_project.ci`,
 * `data.gitlab_group.g`).
 */
export const RUNNERS_TOKEN_REF = /\$\{((?:data\.)?gitlab_(?:group|project)\.[A-Za-z0-9_-]+)(?:\[[^\]]*\])?\.runners_token\}/;
/** Files that describe a deployment rather than deploy one. */
const DOCUMENTATION = /\.(md|markdown|rst|adoc|txt|html?)$/i;
/**
 * `gitlab-runner register` (not `unregister`), also behind sudo or a path; the words after it follow.
 * The two words may stand on two lines joined by a line continuation (`docker exec -it runner \`,
 * `    gitlab-runner \`, `    register \`, … as public ulm0/gitlab-runner-tf writes it): the shell
 * removes a backslash-newline before it splits words (POSIX Shell Command Language 2.2.1, Escape
 * Character), so with a blank on either side they are still the two words `gitlab-runner register`;
 * with none (`gitlab-runner\` then `register` at the line start) they are one word, no command.
 * `gitlab-ci-multi-runner` is the same program under its name before 10.0 (gitlab-runner CHANGELOG
 * v10.0.0: "Rename repository from GitLab-ci-multi-runner to GitLab-runner"; its packages took the
 * new name with it), still written in old install scripts (public gstlt/terraform-gitlab-runner).
 * The blanks between are read as continuations up to the first blank, then blanks and continuations:
 * one way to match each run (`(?:[ \t]|…)*[ \t](?:[ \t]|…)*` could place its one required blank at any
 * of them, quadratic in a long run of blanks after `gitlab-runner`).
 */
const COMMAND = /(?<![A-Za-z0-9_-])gitlab-(?:ci-multi-)?runner(?:\.exe)?(?:\\\r?\n)*[ \t](?:[ \t]|\\\r?\n)*register(?=[ \t]|\\\r?\n|\r?\n|$)/g;
/** At most this many characters of one command are read (a command is a few lines). */
const MAX_COMMAND = 16_384;

/** Terraform's JSON syntax (`.tf.json`, `.tofu.json`): a script is a JSON string, its lines joined by `\n` escapes. */
const TERRAFORM_JSON = /\.(tf|tofu)\.json$/i;

/**
 * The register commands of one file's text. In Terraform's JSON syntax a command is read in the
 * string it is written in, decoded (a user_data string whose command follows a `\n` escape is the
 * same script a heredoc writes), its offsets those of the file. In an Ansible playbook or task
 * file, in the commands its command, shell and raw tasks run (ansible.ts), the same way. Read against the flags of `version`
 * (the gitlab-runner the script installs, where it is known) or of the current version.
 */
export function registerCommands(path: string, text: string, version?: RunnerVersion, yaml: YamlFile = yamlFileOf(text)): RegisterCommand[] {
  if (DOCUMENTATION.test(path) || !text.includes('register')) return [];
  // An Ansible playbook or task file: the commands its tasks run, not the YAML around them.
  let scripts = TERRAFORM_JSON.test(path) ? jsonStrings(text, 'register') : ansibleScripts(path, yaml)?.filter((s) => s.value.includes('register'));
  const out: RegisterCommand[] = [];
  const flowList = scripts === undefined;
  // Offsets in the text as read (quoted lines indented where read.ts repaired them) are printed where the user wrote them.
  const back = (at: number): number => (TERRAFORM_JSON.test(path) ? at : offsetInOriginal(yaml.text, text, at));
  if (scripts === undefined) {
    // Another YAML file: its flow lists (`command: ["sh", "-c", "gitlab-runner register …"]`) read as YAML reads their items, the rest as text.
    const flow = flowListScripts(path, yaml, 'register');
    if (flow === undefined) return commandsIn(path, text, version);
    out.push(...commandsIn(path, flow.rest, version).map((c) => placed(c, back)));
    scripts = flow.scripts;
  }
  for (const s of scripts) {
    const raw = (at: number): number => back(s.rawAt[Math.min(at, s.rawAt.length - 1)] ?? s.end);
    for (const c of commandsIn(path, s.value, version)) out.push(placed(c, raw));
  }
  // The rest of the file and its lists were read apart: in the file's order.
  return flowList ? out.sort((a, b) => a.at - b.at) : out;
}

/** A command read from a piece of text, its offsets placed in the file by `at`. */
function placed(c: RegisterCommand, at: (offset: number) => number): RegisterCommand {
  return {
    ...c,
    at: at(c.at),
    flags: c.flags.map((f) => ({ ...f, at: at(f.at) })),
    ...(c.stopped ? { stopped: { ...c.stopped, at: at(c.stopped.at) } } : {}),
    ...(c.undefinedFlag ? { undefinedFlag: { ...c.undefinedFlag, at: at(c.undefinedFlag.at) } } : {}),
  };
}

const JSON_ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '"': '"', '\\': '\\', '/': '/' };

/**
 * The string literals of a JSON text that hold `word` once decoded, each with the offset in the text
 * of every decoded character (`rawAt`) and of its closing quote (`end`). Keys and values alike; a
 * text that is not JSON gives what its quotes enclose.
 */
function jsonStrings(text: string, word: string): { value: string; rawAt: number[]; end: number }[] {
  const out: { value: string; rawAt: number[]; end: number }[] = [];
  for (let i = text.indexOf('"'); i >= 0 && i < text.length; i = text.indexOf('"', i + 1)) {
    let value = '';
    const rawAt: number[] = [];
    let j = i + 1;
    for (; j < text.length && text[j] !== '"'; j++) {
      rawAt.push(j);
      if (text[j] !== '\\') value += text[j];
      else if (text[j + 1] === 'u') {
        value += String.fromCharCode(parseInt(text.slice(j + 2, j + 6), 16));
        j += 5;
      } else value += JSON_ESCAPES[text[++j] ?? ''] ?? '';
    }
    if (value.includes(word)) out.push({ value, rawAt, end: j });
    i = j;
  }
  return out;
}

/** The register commands of a text read as written. */
function commandsIn(path: string, text: string, version?: RunnerVersion): RegisterCommand[] {
  const out: RegisterCommand[] = [];
  // In a Terraform file, `//` and `/* */` are comments outside strings and heredocs only (in user data, `//` is a path or a URL).
  let hcl: [number, number][] | undefined | null = /\.(tf|tofu)$/i.test(path) ? null : undefined;
  COMMAND.lastIndex = 0;
  const commented = shellCommentScanner(text);
  for (let m = COMMAND.exec(text); m !== null; m = COMMAND.exec(text)) {
    // A commented-out command (`# gitlab-runner register …`, also in a cloud-init list) never runs.
    if (commented(m.index)) continue;
    if (hcl === null) hcl = hclComments(text);
    if (hcl !== undefined && inSpan(hcl, m.index)) continue;
    const limit = Math.min(text.length, m.index + m[0].length + MAX_COMMAND);
    const stringEnd = hcl !== undefined ? hclStringEnd(text, m.index) : undefined;
    const words = shellWords(text, m.index + m[0].length, stringEnd !== undefined ? Math.min(limit, stringEnd) : limit, stringEnd !== undefined);
    const { flags, stopped, undefinedFlag } = parseFlags(withoutRedirections(words), version);
    // A command with no flag is words about one (`… passed to gitlab-runner register` in a description).
    if (flags.length > 0) out.push({ path, at: m.index, flags, ...(stopped ? { stopped } : {}), ...(undefinedFlag ? { undefinedFlag } : {}), ...(version ? { version } : {}) });
  }
  return out;
}

/**
 * Where the one-line HCL quoted string that holds `at` ends (its closing quote), where `at` is inside
 * one: a remote-exec `inline` item, `"sudo gitlab-runner register … --docker-privileged",`. The
 * command ends there: its closing quote, and the `,` or `]` after it, are HCL's, not words of the
 * command (read on, the last flag became `--docker-privileged,`, a flag register does not know).
 * Inside: an odd number of unescaped quotes between the line's start and `at`. A `\n` escape in the
 * string is a line break where the string is rendered, so the command ends there too (read on, the
 * next command's words became the register command's: `"…register … --docker-image alpine\napt-get
 * install -y jq"` stopped its flags at `apt-get`). A string that goes on past its line (a heredoc's
 * text) is not bounded here: its lines are the script's lines.
 */
function hclStringEnd(text: string, at: number): number | undefined {
  const start = text.lastIndexOf('\n', at - 1) + 1;
  const end = text.indexOf('\n', at);
  const line = text.slice(start, end < 0 ? text.length : end);
  const quotes = (s: string) => [...s.matchAll(/(?<!\\)(?:\\\\)*"/g)].length;
  if (quotes(line.slice(0, at - start)) % 2 === 0) return undefined;
  for (let i = at - start; i < line.length; i++) {
    if (line[i] === '"') return start + i;
    if (line[i] !== '\\') continue;
    // A `\n` escape is a line break of the string: the shell's command ends there, unless the line
    // before it ends in the shell's `\` (HCL's `\\`), which carries the command on.
    if (line[i + 1] === 'n' && !line.slice(at - start, i).endsWith('\\\\')) return start + i;
    i++;
  }
  return undefined;
}

/** Whether `at` is inside one of the sorted [start, end) spans (a binary search). */
function inSpan(spans: readonly [number, number][], at: number): boolean {
  let lo = 0;
  let hi = spans.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [start, end] = spans[mid]!;
    if (at < start) hi = mid - 1;
    else if (at >= end) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * gitlab-runner's short names, each a flag of its own on the same value (the `short:` tags of
 * commands/register.go and common/config.go, generated with the long names): `-n`, `-c`, `-r`, `-u`,
 * `-t`, and `-name`/`--name`, RunnerSettings.Name's, whose long name is --description.
 */
const SHORT_NAMES = REGISTER_ALIASES;

/**
 * One shell word with its quotes removed, where it starts, whether an unquoted `$` makes the shell
 * split it; `escaped`, where a `$` or `\` of the word is inside single quotes (a literal character):
 * the word with each such character behind a `\`, as shell-vars.ts expandWord takes a script's word.
 */
export type Word = { text: string; at: number; expansion: boolean; escaped?: string };

/** A flag's name as Go's flag package reads it: one or two dashes off, up to `=`. */
const nameOf = (arg: string): string => {
  const bare = arg.slice(arg.startsWith('--') ? 2 : 1);
  const eq = bare.indexOf('=');
  return eq < 0 ? bare : bare.slice(0, eq);
};

/** A flag word as written without its `=value` (`-name`, `--docker-privileged`). */
const writtenName = (arg: string): string => {
  const eq = arg.indexOf('=');
  return eq < 0 ? arg : arg.slice(0, eq);
};

/**
 * Whether urfave/cli's reorderArgs takes a word for one of the command's flags (argIsFlag): it
 * starts with `-`, is not `-` or `--`, and names a flag register defines (REGISTER_FLAGS; a name
 * known only when the script runs is taken for one). A flag register does not define is not moved:
 * it stays among the other words, after every defined flag.
 */
const isFlagWord = (arg: string, version?: RunnerVersion): boolean => arg.startsWith('-') && arg !== '-' && arg !== '--' && !isUndefinedFlag(nameOf(arg), version);

/** The words without shell redirections (`>log`, `2> log`, `<in`): the shell removes them before gitlab-runner runs. */
function withoutRedirections(words: readonly Word[]): Word[] {
  const out: Word[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (/^\d*(>>?|<)(&\d*-?)?$/.test(w.text)) i++;
    else if (!/^\d*(>>?|<)/.test(w.text)) out.push(w);
  }
  return out;
}

/**
 * The flags gitlab-runner register sets from its arguments, read as its command line parser reads
 * them. gitlab-runner (go.mod: github.com/urfave/cli v1.22.17; common/command.go NewCommand, which
 * leaves SkipArgReorder false) parses a command's arguments in urfave/cli v1's
 * Command.parseFlags (command.go): reorderArgs first moves every flag of the command, each with the
 * word after it where that word is not a flag itself (`nextIndexMayContainValue`, a boolean flag's
 * included) and it has no `=`, before the other words, and stops reordering at `--`, which it puts
 * first among the rest; then Go's flag.Parse reads that list and stops at the first word that is
 * not a flag (and at `--`): what follows is positional, not flags. So a stray word between flags
 * (`register foo --docker-privileged`) does not stop the flags after it, but one right after a
 * boolean flag (`--locked false --docker-privileged`, `--non-interactive foo …`) does: everything
 * after it in the reordered list is positional; so is every flag after `--`. A flag that takes a
 * value takes the next word, even `--x` (Go's flag package does); for a flag this reader does not
 * know, a next `-word` is read as the next flag. A word that is an unquoted expansion (`$ARGS`),
 * which the shell may split into flags or into nothing, is not taken for a word that stops the
 * flags. A flag register does not define (a misspelling, REGISTER_FLAGS) is not moved by reorderArgs,
 * so flag.Parse reaches it after every defined flag, unless a word that stops the flags comes first:
 * there Go's flag package fails with "flag provided but not defined: -name", urfave/cli prints
 * "Incorrect Usage", the command's help and returns the error (command.go Command.Run: register sets
 * no OnUsageError), and gitlab-runner's main.go ends with logrus.Fatal, exit 1: the command never runs.
 * Where the flags stop before flags written after the stop, `stopped` says so (RF927); gitlab-runner
 * itself only warns (helpers/cli/warn_on_bool.go: "github.com/urfave/cli breaks badly if boolean are
 * set using --flag true", "parameters after this may be ignored").
 */
function parseFlags(words: readonly Word[], version?: RunnerVersion): { flags: RegisterCommand['flags']; stopped?: NonNullable<RegisterCommand['stopped']>; undefinedFlag?: NonNullable<RegisterCommand['undefinedFlag']> } {
  // reorderArgs (urfave/cli v1.22.17 command.go).
  const reordered: Word[] = [];
  let rest: Word[] = [];
  let mayBeValue = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (mayBeValue && !isFlagWord(w.text, version)) {
      mayBeValue = false;
      reordered.push(w);
    } else if (w.text === '--') {
      rest = [w, ...rest, ...words.slice(i + 1)];
      break;
    } else if (isFlagWord(w.text, version)) {
      reordered.push(w);
      mayBeValue = !w.text.includes('=');
    } else rest.push(w);
  }
  // flag.Parse (Go's flag package, FlagSet.parseOne).
  const args = [...reordered, ...rest];
  const flags: RegisterCommand['flags'] = [];
  let stopped: NonNullable<RegisterCommand['stopped']> | undefined;
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    if (w.expansion && !w.text.startsWith('-')) continue;
    if (w.text.length < 2 || !w.text.startsWith('-') || w.text === '--') {
      // The flags written after the stop (in the reordered list) that gitlab-runner does not set; the
      // word that stops them may be one itself, written after an escaped blank (`\ --url`).
      const flagLike = (t: string) => t.startsWith('-') && t !== '-' && t !== '--';
      const ignored = [...(/^[ \t]/.test(w.text) && flagLike(w.text.trimStart()) ? [w] : []), ...args.slice(i + 1)].map((a) => a.text.trimStart()).filter(flagLike).map(writtenName);
      const before = flags.at(-1);
      const after = before !== undefined && before.value === undefined && i > 0 && args[i - 1]!.at === before.at && REGISTER_BOOLEAN_FLAGS.has(before.name) ? { name: before.name, written: before.written } : undefined;
      if (ignored.length > 0) stopped = { word: w.text, at: w.at, ...(after !== undefined ? { after } : {}), ignored };
      break;
    }
    const bare = nameOf(w.text);
    // "bad flag syntax": register exits.
    if (bare === '' || bare.startsWith('-') || bare.startsWith('=')) break;
    const name = SHORT_NAMES.get(bare) ?? bare;
    const eq = w.text.indexOf('=');
    const written = writtenName(w.text);
    // "flag provided but not defined" (FlagSet.parseOne looks the name up before it reads a value): register exits at it.
    if (isUndefinedFlag(name, version)) {
      flags.push({ name, written, value: eq >= 0 ? w.text.slice(eq + 1) : undefined, at: w.at });
      return { flags, ...(stopped ? { stopped } : {}), undefinedFlag: { name, at: w.at } };
    }
    if (eq >= 0) flags.push({ name, written, value: w.text.slice(eq + 1), at: w.at });
    else if (REGISTER_BOOLEAN_FLAGS.has(name) || i + 1 >= args.length || (args[i + 1]!.text.startsWith('-') && !takesValue(name))) flags.push({ name, written, value: undefined, at: w.at });
    else flags.push({ name, written, value: args[++i]!.text, at: w.at });
  }
  return stopped ? { flags, stopped } : { flags };
}

/** A Terraform template directive alone on its line: `%{ if x ~}`, `%{~ else ~}`, `%{ endfor ~}`, its keyword and whether it strips what follows it (`~}`). */
const DIRECTIVE_LINE = /^[ \t]*%\{~?[ \t]*(if|for|else|endif|endfor)\b[^\n]*?(~?)\}[ \t]*\r?$/;

/**
 * Where the command goes on after a Terraform template's `%{ if … ~}` or `%{ for … ~}` block that
 * stands between its continued lines (public ulm0/gitlab-runner-tf: `--docker-image … \`, then
 * `%{ if add_tags ~}` / `--tag-list … \` / `%{ endif ~}`, then `--docker-privileged`), or undefined
 * where it may not. Terraform's template directives render to nothing, and a `~` strip marker before
 * the closing brace removes the whitespace after it (Terraform "Strings and Templates", Whitespace
 * Stripping), at least up to and including the line break that ends the directive's line (HCL's
 * template literals, as hcl-primitives' `Strip` documents them). So where every directive of the
 * block stands alone on its line ending `~}`, and every line between them continues the command
 * (ends with `\`, none is blank), the line after the block continues the command whichever branch
 * renders, or none. What the branches hold is not read: it may not be rendered. `at`: the block's
 * `%{`, at the start of a line the command reached through a line continuation.
 */
function continuedPastDirectives(text: string, at: number, to: number): number | undefined {
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  if (text.slice(lineStart, at).trim() !== '') return undefined;
  let depth = 0;
  let i = lineStart;
  while (i < to) {
    const nl = text.indexOf('\n', i);
    const end = nl < 0 || nl >= to ? to : nl;
    const line = text.slice(i, end);
    const d = DIRECTIVE_LINE.exec(line);
    if (d !== null) {
      if (d[2] !== '~') return undefined;
      if (d[1] === 'if' || d[1] === 'for') depth++;
      else if (d[1] === 'endif' || d[1] === 'endfor') depth--;
      else if (depth === 0) return undefined;
      if (depth < 0) return undefined;
      if (depth === 0) {
        // The strip marker removes the rest of the directive's line, its newline included; a blank line after it ends the command as before.
        return end < to ? end + 1 : undefined;
      }
    } else if (depth === 0 || !/\\\r?$/.test(line)) return undefined;
    if (end >= to) return undefined;
    i = end + 1;
  }
  return undefined;
}

/**
 * Shell words from `from` to the end of the command (an unescaped newline, `;`, `&`, `|`, or a
 * template directive `%{`): quotes are removed, a backslash-newline continues the command, and
 * `${…}` stays in its word as written. In a one-line HCL quoted string (`hclQuoted`), the shell's
 * backslash-newline is written `\\\n` (HCL's `\\` escape for the backslash, its `\n` for the line
 * break: Terraform's "Strings and Templates", Escape Sequences) and continues the command the same way.
 */
export function shellWords(text: string, from: number, to: number, hclQuoted = false): Word[] {
  const words: Word[] = [];
  let cur = '';
  let start = -1;
  let quote: '"' | "'" | undefined;
  // An unquoted `$` in the word: the shell splits what it expands to into words.
  let expansion = false;
  // Where `cur` holds a `$` or `\` written inside single quotes: literal characters.
  let literal: number[] = [];
  const end = () => {
    if (start >= 0) {
      let escaped: string | undefined;
      if (literal.length > 0) {
        escaped = '';
        let last = 0;
        for (const at of literal) {
          escaped += `${cur.slice(last, at)}\\`;
          last = at;
        }
        escaped += cur.slice(last);
      }
      words.push({ text: cur, at: start, expansion, ...(escaped !== undefined ? { escaped } : {}) });
    }
    cur = '';
    start = -1;
    expansion = false;
    literal = [];
  };
  for (let i = from; i < to; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\n') break;
      else {
        if (quote === "'" && (c === '$' || c === '\\')) literal.push(cur.length);
        cur += c;
      }
      continue;
    }
    if (c === '\\' && (text[i + 1] === '\n' || (text[i + 1] === '\r' && text[i + 2] === '\n'))) {
      end();
      i += text[i + 1] === '\r' ? 2 : 1;
      continue;
    }
    if (hclQuoted && c === '\\' && text.startsWith('\\\\\\n', i)) {
      end();
      i += 3;
      continue;
    }
    if (c === '\\' && (text[i + 1] === ' ' || text[i + 1] === '\t')) {
      // A backslash before a blank escapes the blank (POSIX Shell Command Language 2.2.1): the blank is
      // part of the word, which goes on after it. It continues the line only right before the newline.
      if (start < 0) start = i;
      cur += text[i + 1];
      i++;
      continue;
    }
    if (c === '%' && text[i + 1] === '{' && start < 0) {
      // A Terraform template's if or for block between the command's continued lines: the lines after it are still the command's.
      const after = continuedPastDirectives(text, i, to);
      if (after !== undefined) {
        i = after - 1;
        continue;
      }
    }
    if (c === '`' && start < 0) {
      // A command substitution holding only a comment (`` `# why this flag` \ ``, a way to comment the
      // lines of a long command: public maresb/gitlab-runner-ecr-auth-example) runs nothing and, unquoted,
      // expands to no word (POSIX Shell Command Language 2.6.3 and 2.6.5); the command goes on after it.
      const close = text.indexOf('`', i + 1);
      if (close > i && close < to && /^[ \t]*#[^\n]*$/.test(text.slice(i + 1, close))) {
        i = close;
        continue;
      }
    }
    if (c === '\n' || c === ';' || c === '&' || c === '|' || (c === '#' && start < 0) || (c === '%' && text[i + 1] === '{')) break;
    if (c === ' ' || c === '\t' || c === '\r') {
      end();
      continue;
    }
    if (start < 0) start = i;
    if (c === '$') expansion = true;
    if (c === '"' || c === "'") quote = c;
    else if (c === '$' && text[i + 1] === '{') {
      // `${…}` (a Terraform template's or the shell's) is one part of the word, spaces inside included.
      const close = text.indexOf('}', i);
      const stop = close < 0 || close >= to ? to : close + 1;
      cur += text.slice(i, stop);
      i = stop - 1;
    } else if (c === '{' && text[i + 1] === '{') {
      // A Jinja or Go template's `{{ … }}` is filled in before the command runs: one part of the word, blanks inside included, known only then.
      const close = text.indexOf('}}', i);
      const stop = close < 0 || close >= to ? to : close + 2;
      cur += text.slice(i, stop);
      expansion = true;
      i = stop - 1;
    } else cur += c;
  }
  end();
  return words;
}

/** Whether a flag's value was written by what only runs later (`${var}`, `$TOKEN`, a Jinja or Go template's `{{ x }}`): not known here. */
const unknownValue = (v: string): boolean => v.includes('$') || v.includes('{{');
/** The runner's GitLab settings that are booleans (their default: --locked true, the others false). */
const SERVER_BOOLEAN = new Set(['locked', 'run-untagged', 'paused']);
/**
 * Where a setting's value is only known at boot and may be its default, the variable it is read from;
 * else undefined. A boolean setting from a variable may be either. A text setting may be empty when
 * its value is one variable alone, with at most an empty default (`$TAGS`, `"${TAGS}"`, `${TAGS:-}`);
 * with words of its own or a non-empty default (`${TAGS:-ci}`) it is never empty.
 */
function bootDefault(name: string, value: string): string | undefined {
  // `${var.tags}`, `${local.tags}`: a Terraform reference the template is rendered with (the command is
  // in a heredoc or template file), which may be empty just as a shell variable may.
  const bare = /^(["']?)\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)(?::?-)?\}|\{((?:var|local)\.[A-Za-z_][A-Za-z0-9_-]*)\})\1$/.exec(value);
  // A Jinja or Go template's one expression alone (`{{ runner_tags }}`), which may be empty; with words of its own it is not.
  const template = /^(["']?)(\{\{(?:(?!\{\{|\}\}).)*\}\})\1$/.exec(value)?.[2];
  if (template !== undefined) return template;
  if (value.includes('{{') && !value.includes('$')) return SERVER_BOOLEAN.has(name) ? /\{\{.*?\}\}/.exec(value)![0] : undefined;
  const variable = bare?.[2] ?? bare?.[3] ?? bare?.[4] ?? /\$\{?([A-Za-z_][A-Za-z0-9_]*)/.exec(value)?.[1] ?? 'a shell expansion';
  if (SERVER_BOOLEAN.has(name)) return variable;
  return bare ? variable : undefined;
}
/**
 * The value the Ansible files give a `{{ name }}` written in a task at offset `at` of the file at
 * `path`: the one reader of Ansible variables (ansible-vars.ts playVariables: role defaults and vars,
 * group_vars/host_vars, the play's or the calling play's vars and vars_files, role params, block and
 * task vars, include_vars, set_fact and register, by Ansible's precedence), rendered as Jinja prints a
 * Python value (`True`, `False`). A HiddenVariable where a definition makes it unknown; undefined
 * where the files define it nowhere.
 */
function ansibleVariable(path: string, text: string, yaml: YamlFile, expression: string, at: number, texts: ReadonlyMap<string, string>, yamlSources: ReadonlyMap<string, YamlFile> | undefined, given: () => ReadonlyMap<string, string>): KnownVariable | HiddenVariable | undefined {
  if (!/^\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}$/.test(expression)) return undefined;
  // The offset in the text as read.ts read it (blanks may have been put before some lines): the same line and column.
  let readAt = at;
  if (yaml.text !== text) {
    const line = text.slice(0, at).split('\n').length - 1;
    let start = 0;
    for (let n = 0; n < line && start >= 0; n++) start = yaml.text.indexOf('\n', start) + 1;
    const col = at - (text.lastIndexOf('\n', at - 1) + 1);
    const added = (yaml.text.indexOf('\n', start) < 0 ? yaml.text.length : yaml.text.indexOf('\n', start)) - start - ((text.indexOf('\n', at) < 0 ? text.length : text.indexOf('\n', at)) - (text.lastIndexOf('\n', at - 1) + 1));
    readAt = start + col + Math.max(0, added);
  }
  return playVariables(path, yaml, given(), texts, yamlSources)(expression, readAt);
}
const isTrue = (v: string | undefined): boolean => v === undefined || /^(true|1|t)$/i.test(v);

/**
 * Whether the executor a register command names reads a flag of an executor's table (privileged,
 * volumes, cap-add, devices): each executor reads its
 * own table of config.toml (gitlab-runner common/config.go: `--docker-*` flags fill DockerConfig,
 * `[runners.docker]`, which every Docker executor reads: docker, docker-windows, docker+machine,
 * docker-autoscaler; `--kubernetes-*` fill KubernetesConfig, `[runners.kubernetes]`, which only the
 * kubernetes executor reads). So `--docker-privileged` beside `--executor kubernetes` changes no
 * job, and is not said. An executor not written out (a variable, a template's) may be either: both are said.
 */
function readsExecutorFlag(executor: string | undefined, flag: string): boolean {
  if (executor === undefined) return true;
  return flag.startsWith('docker-') ? executor.startsWith('docker') : executor === 'kubernetes';
}

function finding(code: Code, path: string, message: string, fix: string, received?: string): Finding {
  return { code, severity: CODES[code].severity, path, message, fix, ...(received !== undefined ? { received } : {}) };
}

/** Who installs a version, as a message says it: the script, or the file of its folder that pins it. */
const installedBy = (version: RunnerVersion): string => `the version ${version.pinnedIn !== undefined ? `${version.pinnedIn} installs` : 'the script installs'}`;

/**
 * The flag an older gitlab-runner had for what a newer flag sets, where the source says so
 * (gitlab-org/gitlab-runner common/config.go): v15.9.0 RunnerSettings PreCloneScript and
 * PostCloneScript, "[DEPRECATED] Use pre_get_sources_script instead" (post_…); v14.5.0
 * KubernetesConfig TerminationGracePeriodSeconds beside the new PodTerminationGracePeriodSeconds.
 */
const OLDER_FLAG: ReadonlyMap<string, string> = new Map([
  ['pre-get-sources-script', 'pre-clone-script'],
  ['post-get-sources-script', 'post-clone-script'],
  ['kubernetes-pod_termination_grace_period_seconds', 'kubernetes-terminationGracePeriodSeconds'],
]);

/**
 * RF919 for a flag register does not define, with the defined flag nearest to it: one gitlab-runner
 * spells with `_` where `-` was written (`--docker-services-privileged`, the `long:` tag
 * `services_privileged`), or a typo (`--docker-privilege`, `--tag-lists`). With the version the
 * script installs, a flag a later release added (`--docker-cpu-shares` with 11.3.1) names that
 * release. Without one, `conflict` says why no pin was read, where the folder pins two versions.
 */
function undefinedFlagFinding(at: string, f: { name: string; written: string }, version?: RunnerVersion, conflict?: string): Finding {
  const name = f.name;
  const refusal = `Go's flag parsing stops with "flag provided but not defined: -${name}", urfave/cli prints the usage and gitlab-runner exits 1 before registering, so the runner is never registered`;
  const added = version !== undefined ? addedAfter(name, version) : undefined;
  if (version !== undefined && added !== undefined) {
    const older = OLDER_FLAG.get(name);
    const olderFix = older !== undefined && definesFlag(older, version) ? `, or write --${older} (gitlab-runner ${version.text}'s flag for it)` : `, or remove ${f.written}`;
    const first = `the first release after it with ${f.written} is ${added.firstIn}${added.until !== undefined ? `, the last ${added.until}` : ''}`;
    return finding('RF919', at, `gitlab-runner register knows no flag ${f.written} before gitlab-runner ${added.firstIn}: ${refusal} (flags of gitlab-runner ${version.text}, ${installedBy(version)}; ${first})`, `pin gitlab-runner ${added.firstIn} or later where ${version.pinnedIn ?? 'the script'} installs it${olderFix}`, f.written);
  }
  const near = nearestRegisterFlag(name);
  const respelled = near !== undefined && near.replace(/_/g, '-') === name.replace(/_/g, '-');
  // With the version the script installs: that version's flags, and when an earlier one had the flag, the release that removed it.
  const gone = version !== undefined ? removedBefore(name, version) : undefined;
  const against = version !== undefined ? `flags of gitlab-runner ${version.text}, ${installedBy(version)}${gone !== undefined ? `; gitlab-runner ${gone} removed ${f.written}` : ''}` : `flags of gitlab-runner ${REGISTER_FLAGS_VERSION}${conflict !== undefined ? `; ${conflict}` : ''}`;
  const message = `gitlab-runner register knows no flag ${f.written}${respelled ? ` (it spells it --${near})` : ''}: ${refusal} (${against})`;
  const fix = respelled ? `write --${near}` : near !== undefined ? `did you mean --${near}? write it so, or remove ${f.written}` : `remove ${f.written}, or write a flag \`gitlab-runner register --help\` lists`;
  return finding('RF919', at, message, fix, f.written);
}

/**
 * Where the setting of a flag gitlab-runner removed goes in the versions after it, where the source
 * says (gitlab-org/gitlab-runner common/config.go): the docker-machine off-peak flags (removed in
 * 14.0) are the [[runners.machine.autoscaling]] entries read since 13.0 (DockerMachineAutoscaling:
 * Periods, Timezone, IdleCount, IdleTime); --pre-clone-script (removed in 17.0) is
 * --pre-get-sources-script, pre_get_sources_script in [[runners]], defined since 15.9.
 */
function removedFlagFix(name: string, written: string, last: string): string {
  if (/^machine-off-peak-(timezone|idle-count|idle-time|periods)$/.test(name)) return `remove ${written} and write the off-peak settings as a [[runners.machine.autoscaling]] entry (Periods, Timezone, IdleCount, IdleTime; read since gitlab-runner 13.0) in a --template-config file or the config.toml the script writes; until then, keep the installed gitlab-runner at ${last} or older`;
  if (name === 'pre-clone-script') return `write --pre-get-sources-script instead (pre_get_sources_script in [[runners]], defined since gitlab-runner 15.9); until then, keep the installed gitlab-runner at ${last} or older`;
  return `remove ${written} and set what it set in the config.toml (a --template-config file, or the config.toml the script writes), as the gitlab-runner you upgrade to documents; until then, keep the installed gitlab-runner at ${last} or older`;
}

/**
 * RF934 for a flag the version the script installs defines and the current one does not: register
 * works today and fails after an upgrade (`--machine-off-peak-timezone` with gitlab-runner 11.3.1).
 */
function removedFlagFinding(at: string, flags: readonly { name: string; written: string }[], version: RunnerVersion, removed: { removedIn: string; last: string }): Finding {
  const f = flags[0]!;
  const shown = flags.length === 1 ? f.written : `${flags.slice(0, -1).map((g) => g.written).join(', ')} and ${flags.at(-1)!.written}`;
  return finding('RF934', at, `gitlab-runner ${version.text}, ${installedBy(version)}, registers with ${shown}, but gitlab-runner ${removed.removedIn} removed ${flags.length === 1 ? 'it' : 'them'}: an upgrade past ${removed.last} makes register exit with an error ("flag provided but not defined: -${f.name}") and no runner is registered`, removedFlagFix(f.name, flags.length === 1 ? f.written : shown, removed.last), shown);
}

/** A file read.ts did not read as YAML (not valid YAML, or not YAML at all): no documents, its text as written. */
const NO_DOCUMENTS = (text: string): YamlFile => ({ text, documents: () => [] });

/**
 * The findings of the register commands of the files given, and where the commands are. Each file's
 * commands are read against the flags of the gitlab-runner it installs (runner-version.ts), where
 * it pins one: literally, or by a template variable `templateVars` gives one value.
 */
export function registerCommandFindings(texts: ReadonlyMap<string, string>, templateVars?: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<string | null>>>, yamlSources?: ReadonlyMap<string, YamlFile>): { findings: Finding[]; commands: string[] } {
  const findings: Finding[] = [];
  const commands: string[] = [];
  let givenPaths: Map<string, string> | undefined;
  const given = (): Map<string, string> => (givenPaths ??= new Map([...texts.keys()].map((k) => [normalPath(k), k])));
  for (const [path, text] of texts) {
    const pin = scriptPin(path, text, templateVars, texts);
    // A YAML file as read.ts read it (its Ansible tasks walked in the documents parsed there); one it did not read has none.
    const commandsHere = registerCommands(path, text, pin.version, yamlSources?.get(path) ?? NO_DOCUMENTS(text));
    if (commandsHere.length === 0) continue;
    // One line index per file: each flag's position is a binary search, not a scan from the start.
    const lines = new LineIndex(text);
    const place = (at: number) => {
      const p = lines.pos(at);
      return `${p.line}:${p.column}`;
    };
    // A flag inside a Jinja `{% if %}` branch (an Ansible task's command) is written only where its condition holds: its findings say so.
    const branches = jinjaBranches(text);
    const conditional = (from: number, at: number) => {
      const chain = jinjaBranchesAt(branches, at);
      if (chain.length === 0) return;
      const clause = conditionalClause(chain, (tag) => `${path}:${place(tag)}`);
      for (const f of findings.slice(from)) f.message += clause;
    };
    for (const c of commandsHere) {
      commands.push(`${path}:${place(c.at)}`);
      const removedGroups = new Map<string, { at: string; removed: { removedIn: string; last: string }; flags: { name: string; written: string }[] }>();
      // The executor the command registers, where it is written out: a privileged flag of another executor's table is never read.
      const executorFlag = c.flags.find((f) => f.name === 'executor')?.value;
      const executor = executorFlag !== undefined && !unknownValue(executorFlag) ? executorFlag : undefined;
      const checkFlag = (f: RegisterCommand['flags'][number], at: string): void => {
        if (c.undefinedFlag?.at === f.at) {
          findings.push(undefinedFlagFinding(at, f, c.version, pin.conflict));
          return;
        }
        const removed = c.version !== undefined && !REGISTER_FLAGS.has(f.name) && !f.name.includes('$') ? removedFlag(f.name, c.version) : undefined;
        if (removed !== undefined) {
          // The flags one release removed with the same fix, said once, at the first (the four --machine-off-peak-* flags of 14.0).
          const key = `${removed.removedIn} ${removedFlagFix(f.name, '', '')}`;
          const group = removedGroups.get(key);
          if (group) group.flags.push(f);
          else removedGroups.set(key, { at, removed, flags: [f] });
        }
        // The deprecated Docker Machine executor, as a config.toml given alone says it (RF925).
        if (f.name === 'executor' && f.value === DOCKER_MACHINE_EXECUTOR) {
          findings.push(finding('RF925', at, `gitlab-runner register --executor docker+machine: ${DOCKER_MACHINE_DEPRECATED}`, DOCKER_MACHINE_FLAG_FIX, '"docker+machine"'));
        }
        // gitlab-runner spells the services flag with an underscore (`long:"services_privileged"`).
        const privileged = f.name === 'docker-privileged' || f.name === 'docker-services_privileged' || f.name === 'kubernetes-privileged';
        if (privileged && f.value !== undefined && unknownValue(f.value)) return;
        // A key option: written out, the credential scan says it (RF940, by the same rule); a placeholder or a variable, RF928.
        const key = f.name === 'machine-machine-options' && f.value !== undefined ? machineKey(f.value) : undefined;
        if (key?.placeholder === true) {
          findings.push(finding('RF928', at, `gitlab-runner register --machine-machine-options ${key.option} is set to a placeholder or a variable, not a key (value not shown): whatever fills it in hands docker-machine a static key that never expires`, machineKeyFix(key.option, key.cloud, true)));
        }
        if (privileged && isTrue(f.value) && readsExecutorFlag(executor, f.name)) {
          if (f.name === 'kubernetes-privileged') {
            findings.push(finding('RF301', at, `gitlab-runner register ${f.written}: every job pod runs privileged, with every capability and device of the node; a job can take over the node it runs on and read what it holds (its cloud identity, the service account tokens of the pods beside it)`, `remove ${f.written}; build images without privileges (BuildKit rootless, kaniko, buildah)`));
          } else {
            const what = f.name === 'docker-privileged' ? 'every job runs privileged' : "every job's services run privileged";
            findings.push(finding('RF301', at, `gitlab-runner register ${f.written}: ${what}, with every capability and device of the host; a job can take over the instance and read what it holds (its credentials, the runner token)`, `remove ${f.written}; build images without privileges (BuildKit rootless, kaniko, buildah)`));
          }
        }
        // A volume, by config.toml's rule (volumeReach): a way onto the host (RF309) where the host side is
        // written out, else cloud credentials (RF945), which the container side tells whatever variable fills in the host side.
        // The other --docker-* flags of a job container, as privileged: only a Docker executor reads them.
        if (f.name.startsWith('docker-') && !readsExecutorFlag(executor, f.name)) return;
        const reach = f.name === 'docker-volumes' && f.value !== undefined ? volumeReach(f.value, !unknownValue(f.value.split(':')[0] ?? ''), 'register') : undefined;
        if (reach?.kind === 'credentials') findings.push(finding('RF945', at, `gitlab-runner register ${f.written} ${reach.lets}`, CREDENTIAL_MOUNT_FIX, f.value));
        if (reach?.kind === 'host') {
          const volume = finding('RF309', at, `gitlab-runner register ${f.written} ${f.value!} ${reach.lets}${reach.contained ? '' : `; ${ON_SOME_HOST}`}`, reach.fix ?? hostVolumeFix(`${f.written} ${f.value!}`), f.value);
          findings.push(reach.severity !== undefined ? { ...volume, severity: reach.severity } : volume);
        }
        if (f.value === undefined || unknownValue(f.value)) return;
        if (f.name === 'docker-cap-add' || f.name === 'docker-devices') {
          findings.push(finding('RF309', at, `gitlab-runner register ${f.written} ${f.value}: every job gets ${f.name === 'docker-cap-add' ? 'that capability' : 'that host device'}`, `remove ${f.written}, or give it only to a runner whose jobs need it`, f.value));
        }
      };
      for (const f of c.flags) {
        const at = `${path}:${place(f.at)}`;
        const before = findings.length;
        checkFlag(f, at);
        conditional(before, f.at);
      }
      for (const g of removedGroups.values()) findings.push(removedFlagFinding(g.at, g.flags, c.version!, g.removed));
      // --token with the runner's GitLab settings: register exits (a glrt- token, the usual one) or ignores them (a legacy runner token).
      const authToken = c.flags.find((f) => f.name === 'token');
      const notTaken = tokenNotTaken(c);
      if (notTaken !== undefined) {
        const pinned = c.version!;
        findings.push(finding('RF919', `${path}:${place(notTaken.at)}`, `gitlab-runner ${pinned.text}, ${installedBy(pinned)}, does not register with ${notTaken.written} alone: its register verifies a --token that is no runner authentication token (glrt-), but for a glrt- one it still asks for the registration token and puts it in the token's place, so without --registration-token it exits with "The registration-token needs to be entered" and the runner is never registered (commands/register.go askRunner in v15.10.0 and v15.10.1; from v15.11.0 on, --token glrt-… registers alone)`, `pin gitlab-runner ${TOKEN_FLOW_FROM}.0 or later where ${pinned.pinnedIn ?? 'the script'} installs it`, notTaken.written));
      }
      if (authToken !== undefined && notTaken === undefined && (c.version === undefined || !versionBefore(c.version, TOKEN_FLOW_FROM)) && !c.flags.some((f) => f.name === 'registration-token')) {
        const glrt = authToken.value === undefined || unknownValue(authToken.value) || authToken.value.startsWith('glrt-');
        for (const f of c.flags) {
          const setting = SERVER_SETTINGS.get(f.name);
          if (!setting) continue;
          // A value known only at boot that may be the default (`--tag-list "$TAGS"`, `${TAGS:-}`): register exits only when it is not, which the files do not show.
          const variable = f.value !== undefined && unknownValue(f.value) ? bootDefault(f.name, f.value) : undefined;
          // An Ansible variable: the value the files give it is what the task renders (ansible-vars.ts, by Ansible's precedence; -e may override it).
          const known = variable !== undefined && variable.startsWith('{{') ? ansibleVariable(path, text, yamlSources?.get(path) ?? NO_DOCUMENTS(text), variable, f.at, texts, yamlSources, given) : undefined;
          if (known?.value !== undefined) {
            if (!setting(known.value)) continue;
            const from = /(?:^|\/)(?:defaults|vars)\/main\.ya?ml$/.test(known.from) ? `the role's ${known.from}` : known.from;
            findings.push(finding('RF919', `${path}:${place(f.at)}`, `gitlab-runner register ${flagShown(authToken)} … ${f.written} ${f.value!}: ${from} gives ${variable} the value ${safeText(known.value, 60)}${/(?:^|\/)defaults\/main\.ya?ml$/.test(known.from) ? ' (where no play or inventory sets it otherwise)' : ''}, and with a runner authentication token (glrt-) register then exits with an error ("reserved … cannot be specified when registering with a runner authentication token") and the runner is never registered`, `remove ${f.written} from the command, and set it on the runner in GitLab (its settings page, or the gitlab_user_runner / POST /user/runners that creates it)`, `${f.written}=${known.value}`));
            continue;
          }
          const hiddenBy = known !== undefined ? ` (${safeText(known.why, 200)} decides ${variable}, above the other definitions the files give)` : '';
          if (variable !== undefined) {
            findings.push(finding('RF903', `${path}:${place(f.at)}`, `gitlab-runner register ${flagShown(authToken)} … ${f.written} ${f.value!}: the value is ${/^(var|local)\./.test(variable) ? `what Terraform renders from ${variable}` : variable.startsWith('{{') ? `what the template engine (Ansible's Jinja, a Helm chart's Go template) fills in for ${variable} when it runs${hiddenBy}` : `known only at boot (${variable})`}; ${SERVER_BOOLEAN.has(f.name) ? `when it is not ${f.name === 'locked' ? 'true' : 'false'}` : 'when it is not empty'}, register with a runner authentication token (glrt-) exits with an error ("reserved … cannot be specified when registering with a runner authentication token") and the runner is never registered; whether it is, is not in the files given`, `remove ${f.written} from the command, and set it on the runner in GitLab (its settings page, or the gitlab_user_runner / POST /user/runners that creates it)`, `${f.written}=${f.value!}`));
            continue;
          }
          if (!setting(f.value)) continue;
          findings.push(finding('RF919', `${path}:${place(f.at)}`, `gitlab-runner register ${flagShown(authToken)} … ${f.written}${f.value !== undefined ? ` ${f.value}` : ''}: with a runner authentication token (glrt-) register exits with an error ("reserved … cannot be specified when registering with a runner authentication token") and the runner is never registered${glrt ? '' : '; with another token it ignores the flag'}. --locked, --access-level, --run-untagged, --maximum-timeout, --paused, --tag-list and --maintenance-note are the runner's settings in GitLab, set when the runner is created there`, `remove ${f.written} from the command, and set it on the runner in GitLab (its settings page, or the gitlab_user_runner / POST /user/runners that creates it)`, f.value !== undefined ? `${f.written}=${f.value}` : f.written));
        }
      }
      // gitlab-runner stops reading flags at a word (helpers/cli/warn_on_bool.go warns "parameters after this may be ignored"): the flags after it are not set.
      const s = c.stopped;
      if (s !== undefined) {
        // A word that begins with a blank was written `\ …`: a backslash before a blank, not before the line break.
        const escapedBlank = /^[ \t]/.test(s.word);
        const word = hasCredentialShape(s.word) ? '(a value, not shown)' : escapedBlank ? `\\${s.word}` : s.word;
        const shown = `${s.ignored.slice(0, 4).join(', ')}${s.ignored.length > 4 ? ` and ${s.ignored.length - 4} more` : ''}`;
        const why = s.word === '--'
          ? 'everything after `--` is a positional argument'
          : s.after !== undefined
            ? `the boolean flag ${flagShown(s.after, true)} takes a value only as ${s.after.written}=value, so urfave/cli keeps \`${word}\` right after it and Go's flag parsing stops at that word`
            : `\`${word}\` is no flag's value, and Go's flag parsing stops at the first word that is not a flag`;
        const blank = escapedBlank
          ? ' (`\\` before a blank escapes the blank, and the blank with the text after it is one word: `\\` continues a line only right before its line break; a YAML folded block `>` turns the line breaks into blanks before the shell reads them, and ansible.builtin.command, which runs no shell, reads `\\` and the character after it, a line break too, as that character)'
          : '';
        const fix = escapedBlank
          ? 'remove the `\\` at the line ends (a folded block `>` and ansible.builtin.command join the lines themselves), or write the command in a literal block `|` of ansible.builtin.shell so that each `\\` is right before its line break'
          : s.word === '--' ? 'remove `--`, or move those flags before it' : s.after !== undefined && /^(true|false)$/i.test(s.word) ? `write ${s.after.written}=${s.word.toLowerCase()}` : `remove \`${word}\`${s.after !== undefined ? `, or write ${s.after.written}=value` : ''}`;
        findings.push(finding('RF927', `${path}:${place(s.at)}`, `gitlab-runner register stops reading its flags at \`${word}\`${blank}: ${why}; ${shown} after it ${s.ignored.length > 1 ? 'are' : 'is'} not set (gitlab-runner warns "parameters after this may be ignored"), so register runs without ${s.ignored.length > 1 ? 'them' : 'it'} or stops for a missing --url or --token`, fix, word));
      }
      const token = c.flags.find((f) => f.name === 'registration-token');
      if (token) {
        findings.push(finding('RF912', `${path}:${place(token.at)}`, `gitlab-runner register ${flagShown(token, true)}: the registration-token flow is ${REGISTRATION_TOKEN_FLOW}${legacyCompatibleClause(c, token.value)}`, 'create the runner in GitLab (POST /user/runners) and register with --token and its glrt- authentication token', '(a token, not shown)'));
        conditional(findings.length - 1, token.at);
      }
    }
  }
  return { findings, commands };
}

/**
 * What register does with the runner's GitLab settings when the token given as --registration-token is
 * a runner authentication token (glrt-): it takes the legacy-compatible flow and ignores them with a
 * warning (gitlab-runner !4157, "Ignore forbidden arguments to register if using
 * --registration-token"). Said only where it applies: the command sets such a setting (or one
 * only the run knows), and the token is a glrt- one or one the files do not show; a literal
 * registration token takes the old flow, where GitLab applies the settings.
 */
function legacyCompatibleClause(c: RegisterCommand, value: string | undefined): string {
  const known = value !== undefined && !unknownValue(value);
  if (known && !value.startsWith('glrt-')) return '';
  const settings = [...new Set(c.flags.filter((f) => SERVER_SETTINGS.has(f.name) && ((f.value !== undefined && unknownValue(f.value)) || SERVER_SETTINGS.get(f.name)!(f.value))).map((f) => f.written))];
  if (settings.length === 0) return '';
  const named = `${settings.join(', ')} (the runner's settings in GitLab)`;
  return known
    ? `; the token given is a runner authentication token (glrt-), which register takes by the legacy-compatible flow: it ignores ${named}`
    : `; where the token given is a runner authentication token (glrt-), register takes it by the legacy-compatible flow and ignores ${named}`;
}

/**
 * The gitlab-runner version a file's script installs (runner-version.ts), where it pins one; the
 * template variables of the file where Terraform renders it. Documentation pins nothing. With the
 * files given (`texts`), a script that pins nothing itself is read against the version the other
 * files of its folder pin (scriptPin).
 */
export function scriptVersion(path: string, text: string, templateVars?: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<string | null>>>, texts?: ReadonlyMap<string, string>): RunnerVersion | undefined {
  return scriptPin(path, text, templateVars, texts).version;
}

/** Where a folder's files pin gitlab-runner: each version with the files that pin it, and whether a pin's version is unknown. */
interface FolderPins {
  versions: Map<string, string[]>;
  unknown: boolean;
}
const folderOf = (path: string): string => path.slice(0, Math.max(0, path.lastIndexOf('/')));
const folderPinsCache = new WeakMap<ReadonlyMap<string, string>, { templateVars: unknown; byFolder: Map<string, FolderPins> }>();

/** The pins of every file given (documentation left out), by folder; computed once per set of files. */
function folderPins(texts: ReadonlyMap<string, string>, templateVars?: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<string | null>>>): Map<string, FolderPins> {
  const cached = folderPinsCache.get(texts);
  if (cached !== undefined && cached.templateVars === templateVars) return cached.byFolder;
  const byFolder = new Map<string, FolderPins>();
  for (const [path, text] of texts) {
    if (DOCUMENTATION.test(path) || !text.includes('gitlab-runner')) continue;
    const pins = runnerPins(text, templateVarsOf(templateVars, path));
    if (pins.versions.size === 0 && !pins.unknown) continue;
    const folder = folderOf(path);
    let entry = byFolder.get(folder);
    if (entry === undefined) byFolder.set(folder, (entry = { versions: new Map(), unknown: false }));
    entry.unknown ||= pins.unknown;
    for (const v of pins.versions) entry.versions.set(v, [...(entry.versions.get(v) ?? []), path]);
  }
  folderPinsCache.set(texts, { templateVars, byFolder });
  return byFolder;
}

/**
 * The version a file's register commands are read against. A file that pins gitlab-runner itself
 * is read against its own pin (one version, else none, as pinnedRunnerVersion says). One that pins
 * nothing is one deployment with the other files of its folder: a script beside the one that
 * installs the package (`apt-get install gitlab-runner=16.0.2` in install.sh, the register command
 * in register.sh), or a Dockerfile `FROM gitlab/gitlab-runner:alpine-v16.5.0` whose image the
 * command runs in. Where those files pin one version, each pin known, it is read with the file that
 * pins it (`pinnedIn`); where they pin two, none is, and `conflict` says so for RF919's message.
 */
export function scriptPin(path: string, text: string, templateVars?: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<string | null>>>, texts?: ReadonlyMap<string, string>): { version?: RunnerVersion; conflict?: string } {
  if (DOCUMENTATION.test(path) || !text.includes('register')) return {};
  const vars = templateVarsOf(templateVars, path);
  const own = runnerPins(text, vars);
  if (own.versions.size > 0 || own.unknown || texts === undefined) {
    const version = pinnedRunnerVersion(text, vars);
    return version !== undefined ? { version } : {};
  }
  const folder = folderPins(texts, templateVars).get(folderOf(path));
  if (folder === undefined || folder.unknown) return {};
  const pins = [...folder.versions];
  if (pins.length === 1) {
    const [[text, files]] = pins as [[string, string[]]];
    const version = runnerVersion(text);
    return version !== undefined ? { version: { ...version, pinnedIn: files[0]! } } : {};
  }
  const shown = pins.slice(0, 3).map(([v, files]) => `${v} (${files[0]!}${files.length > 1 ? ` and ${files.length - 1} more` : ''})`);
  return { conflict: `the files beside it pin gitlab-runner ${shown.slice(0, -1).join(', ')} and ${shown.at(-1)!}${pins.length > 3 ? ` and ${pins.length - 3} more versions` : ''}, so no pin is read` };
}
