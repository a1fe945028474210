import { gunzipSync } from 'node:zlib';
import { parse as parseToml } from 'smol-toml';
import type { Finding } from '../spec/findings.js';
import { CODES, type Code } from '../spec/codes.js';
import type { Artifact, TerraformRoot } from '../emit/artifacts.js';
import { setOwn, tfName } from '../emit/artifacts.js';
import type { AwsRoleIdentity, ResolvedCluster } from '../model/types.js';
import { parseRef } from '../verify/aws-docs.js';
import { get, getText } from '../verify/get.js';
import { formatPosition, originAt, type Origin } from './source.js';
import type { Evidence } from './evidence.js';
import type { HostTakeOver } from './config-toml-alone.js';
import { mapBodyStrings } from './root-strings.js';
import { pathInFolder, userDataFilePath } from '../platforms/aws-vm/user-data.js';
import { instanceProfileOf } from '../platforms/aws-vm/common.js';
import { isFileNamed } from '../platforms/aws-vm/cloud-init.js';
import { heredoc, heredocSpan } from '../platforms/aws-vm/script-files.js';
import { isObject } from '../model/is-object.js';
import { flagShown, isUndefinedFlag, refusedSetting, registerCommands, scriptVersion, tokenNotTaken, type RegisterCommand } from './register-command.js';
import { mergeTemplate, registerConfig, type RegisterConfig } from './register-config.js';
import { assignedInForce, scriptStop } from './shell-vars.js';
import { SourceFile, type Position } from './source.js';
import { LineIndex } from './hcl/ast.js';
import { directiveTagEnd, readInterpolation } from './hcl/parse.js';
import { firstKeyWhere, firstOfKeys, keyMoved } from './key-index.js';
import { userDataLinePlace } from './user-data-place.js';
import { provisionerOwner, scriptShown, setupLineOf, setupTextOf } from './provisioners.js';
import { shownText } from '../verify/credentials.js';

/**
 * What the doctor reads of one VM runner manager (EC2 instance from a launch template): the
 * documents a platform's compute reader needs to say who the jobs are and which settings apply.
 */
export interface VmManagerEvidence {
  /** Runner name: the launch template's `runner-fleet-runner` tag, else `[[runners]] name`, else the template name. */
  runner: string;
  /** Cluster name: the `runner-fleet-cluster` tag, else `vm`. */
  cluster: string;
  executor: string;
  /** The whole `config.toml` the instance boots with (from the user data, or a config.toml file). */
  toml: Record<string, unknown>;
  tomlOrigin: Origin;
  /** Decoded user data (never printed: it may hold secrets; the secret scan reports those). */
  userData: string;
  /** The `${…}` parts of the user data known only at apply (a variable without default), as written. */
  unknownInUserData: string[];
  /** Whether `toml` was read from a heredoc of the user data (rather than a config.toml file). */
  tomlInUserData: boolean;
  /** The heredoc's lines as written and the 0-based line of the user data where they start (to point at a key); `map`: the line of each, where they join several heredocs (a write, then appends). */
  tomlBody?: { lines: string[]; from: number; map?: number[] };
  /** A config.toml file given for this runner while the user data writes its own: the copy that does not boot. */
  configFile?: { value: Record<string, unknown>; origin: Origin };
  launchTemplateKey: string;
  origin: Origin;
  /** The config.toml was rebuilt from a `gitlab-runner register` command's flags (tomlOrigin points at them). */
  registered?: boolean;
  /** The register flag the token came from: with `registration-token`, config.toml holds the glrt- token GitLab answers with, not the flag's value. */
  tokenFlag?: 'token' | 'registration-token';
  /** That flag as the command writes it (`-r`, `--registration-token`), for messages. */
  tokenFlagWritten?: string;
  /**
   * With a registration token written in the command (not a glrt- one, not a value only boot knows):
   * the settings register sends GitLab when it creates the runner (--locked defaults to true,
   * --access-level to not_protected). Undefined where they are GitLab's (--token, a glrt- token).
   */
  registeredAs?: { locked: boolean; protectedOnly: boolean };
  /** Of a config.toml rebuilt from register flags: the flag that set a key (`['runners', 0, 'docker', 'privileged']` → `docker-privileged`), undefined where none did (a template, a default). */
  registeredFlag?: (path: readonly (string | number)[]) => string | undefined;
}

/** How a VM platform reads its own runners back for the doctor (the compute counterpart of `DoctorReader`). */
export interface ComputeDoctorReader {
  /** `[[runners]] executor` values this platform runs. */
  executors: readonly string[];
  /** Names of the runner's resources that the documents show (task family, worker group, …). */
  names(m: VmManagerEvidence, root: TerraformRoot): Record<string, string>;
  /** The jobs' own role and the compute that carries it; undefined: jobs hold no identity of their own. */
  jobs(m: VmManagerEvidence, root: TerraformRoot): { roleKey: string; attachment: 'instance-profile' | 'task-definition'; service: string; name: string; mechanism: string } | undefined;
  /** Terraform keys the platform's proofs look resources up by (`<runner>_tasks` → the resource found), to re-key hand-written roots. */
  keys?(m: VmManagerEvidence, root: TerraformRoot): { type: string; from: string; to: string }[];
  /**
   * Where the manager's chain is not built (no instance profile, or its profile or role not given):
   * what a job that leaves its container takes over, in the words the platform's chain uses.
   * `role`: the manager's instance role as the files name it (` ci-runner (not among the files
   * given)`), undefined where the manager has no instance profile. `account`: the root's account,
   * where the files show it. Undefined: the host is not known.
   */
  hostTakeOver?(m: VmManagerEvidence, root: TerraformRoot, role: string | undefined, account?: string): HostTakeOver;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const list = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

function finding(code: Code, path: string, message: string, extra: Partial<Finding> = {}): Finding {
  return { code, severity: CODES[code].severity, path, message, ...extra };
}


/** Resource a Terraform reference or literal names: `${type.key.attr}` → key; a literal → the resource whose `attr` equals it. */
export function resolveKey(root: TerraformRoot, type: string, value: unknown, attr = 'name'): string | undefined {
  const ref = parseRef(value);
  if (ref) return ref.type === type && root.resource[type]?.[ref.name] ? ref.name : undefined;
  const literal = str(value);
  if (!literal) return undefined;
  const last = literal.split('/').pop()!;
  const byName = root.resource[type];
  const whole = firstKeyWhere(byName, attr, literal);
  const tail = last === literal ? whole : firstKeyWhere(byName, attr, last);
  // Both written (an ARN's name held by one resource, the ARN itself by another): the first in the map.
  if (whole !== undefined && tail !== undefined && whole !== tail) return firstOfKeys(byName!, whole, tail);
  return whole ?? tail;
}

/** Compressed user data decompresses to at most this many bytes (EC2 takes 16 KB of user data; a bomb stops here). */
const MAX_USER_DATA_TEXT = 1 << 20;

/**
 * The module address the evaluator writes before the text of a symbol of a module
 * (`${module.runner.var.x}`, `${module.a["k"].module.b.%{ for … }}`: hcl/eval.ts sym()): its length at `at`.
 */
const MODULE_ADDRESS = /(?:module\.[\p{ID_Start}_][\p{ID_Continue}-]*(?:\[(?:"(?:[^"\\\n]|\\.)*"|[0-9]+)\])?\.)*/uy;

function moduleAddressLength(text: string, at: number): number {
  MODULE_ADDRESS.lastIndex = at;
  return MODULE_ADDRESS.exec(text)![0].length;
}

/**
 * The end of the `${…}` part of the user data that opens at `i`, to its own closing `}` as the HCL
 * parser reads it, after the module address of a module's symbol where there is one (the address
 * is no HCL: `${module.runner.jsonencode({ a = 1 })}` parses from `jsonencode`); where the parser
 * refuses it, how far it read.
 */
function partEnd(text: string, i: number): { end: number } | { reach: number } {
  const read = readInterpolation(text, i);
  const prefix = 'end' in read ? 0 : moduleAddressLength(text, i + 2);
  if (prefix === 0) return read;
  const again = readInterpolation(text, i, i + 2 + prefix);
  return 'end' in again ? again : { reach: Math.max((read as { reach: number }).reach, again.reach) };
}

/**
 * The parts of a partly known template's text that only apply knows: each `${…}` as written, to its
 * own closing `}` as the HCL parser reads it (`${var.a ? "x" : "}"}`, `${jsonencode({ a = 1 })}`
 * whole, in a module too), a directive's tag with it (`${%{ for k, v in var.x }}`). A literal `$${`
 * is no part; one the parser cannot read ends at its first `}` on the line, and a `${` inside what
 * the parser read of it before refusing it is none of its own (so the text is read once, however
 * many `${` it refuses).
 */
function unknownParts(text: string): string[] {
  const out: string[] = [];
  const firstClose = firstCloses(text);
  for (let i = text.indexOf('${'); i >= 0; ) {
    let next = i + 1;
    if (i === 0 || (text[i - 1] !== '$' && text[i - 1] !== '%')) {
      const read = partEnd(text, i);
      const end = 'end' in read ? read.end : firstClose(i);
      if (end !== undefined) out.push(text.slice(i, end));
      next = Math.max(end ?? next, 'reach' in read ? read.reach : next);
    }
    i = text.indexOf('${', next);
  }
  return out;
}

const STOP = /[}\n]/g;

/**
 * The end of the part at `i` read to its first `}` on the line (how a part the parser cannot read
 * was read before): `${…}`, or `${%{…}}` around a directive's tag. The parts are read left to
 * right, so the first `}` or newline found is kept for the next part: each character is looked at once.
 */
function firstCloses(text: string): (i: number) => number | undefined {
  let stop = -1;
  return (i) => {
    const from = i + 2;
    if (from > stop) {
      STOP.lastIndex = from;
      stop = STOP.exec(text)?.index ?? text.length;
    }
    if (text[stop] !== '}') return undefined;
    return text.startsWith('%{', from) && text[stop + 1] === '}' ? stop + 2 : stop + 1;
  };
}

/**
 * The user data of a launch template: base64 inline, a `filebase64(...)` file among the inputs,
 * or `base64encode()` of a script (a heredoc in HCL). A script only partly known (it interpolates a
 * variable without default) is read with the unknown parts as `${…}` (`unknown` lists them); what
 * cannot be read at all is `{ problem }`, and no `user_data` is undefined.
 */
export function userDataText(body: Record<string, unknown>, tfPath: string, files: ReadonlyMap<string, string>): { text: string; unknown: string[] } | { problem: string } | undefined {
  const v = body.user_data;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') return { problem: 'user_data is not a string' };
  const file = userDataFilePath(v, tfPath.split('/').slice(0, -1).join('/'));
  if (file) {
    const text = files.get(file.path);
    return text === undefined ? { problem: `its user data is the file ${file.written}, which is not among the files given` } : { text, unknown: [] };
  }
  // base64encode("…") of a template with unknown parts (hcl/eval.ts writes it so): literal text is
  // escaped as Terraform JSON escapes it ($${, %%{); what stays `${…}` is known only at apply.
  const partial = /^\$\{base64(?:encode|gzip)\(("(?:[^"\\]|\\.)*")\)\}$/s.exec(v);
  if (partial) {
    let escaped: unknown;
    try {
      escaped = JSON.parse(partial[1]!);
    } catch {
      escaped = undefined;
    }
    if (typeof escaped === 'string') {
      // A directive over what only apply knows is written `${%{ for k, v in var.x }}` (hcl/eval.ts): its whole tag.
      const unknown = unknownParts(escaped);
      return { text: escaped.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{'), unknown };
    }
  }
  if (v.includes('${')) return { problem: `its user_data is an expression the doctor cannot read: ${shownText(v, 80)}` };
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v.replace(/\s+/g, ''))) return { problem: 'its user_data is not base64 (a launch template takes base64: wrap the script in base64encode())' };
  const bytes = Buffer.from(v, 'base64');
  // Compressed user data (base64gzip): cloud-init recognises gzip by its first two bytes and decompresses it.
  if (bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return { text: gunzipSync(bytes, { maxOutputLength: MAX_USER_DATA_TEXT }).toString('utf8'), unknown: [] };
    } catch {
      return { problem: 'its user_data is gzip data that does not decompress' };
    }
  }
  return { text: bytes.toString('utf8'), unknown: [] };
}

/**
 * The user data of a launch template that boots no manager as its instances get it (userDataText),
 * or, where it is plain text (file() or templatefile() without base64encode, which a launch template
 * takes as base64), the script as written: its downloads and credentials are checked all the same.
 */
export function otherUserDataText(body: Record<string, unknown>, tfPath: string, files: ReadonlyMap<string, string>): ReturnType<typeof userDataText> {
  const read = userDataText(body, tfPath, files);
  const v = body.user_data;
  if (read !== undefined && 'problem' in read && typeof v === 'string' && !v.includes('${') && /[^A-Za-z0-9+/=\s]/.test(v)) return { text: v, unknown: [] };
  return read;
}

/**
 * Keys of a config.toml that may be known only at apply without weakening a proof: where the runner
 * connects and how it names itself. A token interpolated into user data is a finding of its own.
 */
const KEYS_THAT_MAY_BE_UNKNOWN: ReadonlySet<string> = new Set(['url', 'clone_url', 'name', 'token']);

/** Keys of a parsed config.toml (dotted paths, `[i]` for array items) whose string values hold one of the `${…}` texts of `unknown`. */
function unknownKeys(toml: unknown, unknown: readonly string[], path = ''): { key: string; last: string; value: string }[] {
  if (typeof toml === 'string') return unknown.some((u) => toml.includes(u)) ? [{ key: path, last: path.replace(/(\[\d+\])+$/, '').split('.').pop()!, value: toml }] : [];
  if (Array.isArray(toml)) return toml.flatMap((x, i) => unknownKeys(x, unknown, `${path}[${i}]`));
  if (isObject(toml)) return Object.entries(toml).flatMap(([k, x]) => unknownKeys(x, unknown, path === '' ? k : `${path}.${k}`));
  return [];
}

function tagsOf(body: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of list(body.tag_specifications)) {
    if (isObject(spec) && isObject(spec.tags)) for (const [k, v] of Object.entries(spec.tags)) if (typeof v === 'string') out[k] = v;
  }
  if (isObject(body.tags)) for (const [k, v] of Object.entries(body.tags)) if (typeof v === 'string') out[k] = v;
  return out;
}

/**
 * The VM runner managers in the evidence: launch templates whose user data writes a config.toml
 * with a VM executor (docker, docker-autoscaler, custom). A config.toml given as a file stands in
 * when the user data does not carry one.
 */
/** A launch template as the user wrote it: `aws_launch_template.x`, or the `aws_instance.x` read as one. */
function written(ev: Evidence, k: string): string {
  return ev.terraform.renamed?.get(`aws_launch_template.${k}`) ?? `aws_launch_template.${k}`;
}

/**
 * The directive tag a part of the user data only apply knows is (`${%{ if var.a == "}" }}`, in a
 * module `${module.runner.%{ for … }}`), to its own `}` as the HCL parser reads it; undefined for
 * an interpolation.
 */
function directiveOfPart(u: string): string | undefined {
  const at = u.startsWith('${') ? 2 + moduleAddressLength(u, 2) : -1;
  const end = at > 0 ? directiveTagEnd(u, at) : undefined;
  return end !== undefined ? u.slice(at, end) : undefined;
}

/** A part of the user data only apply knows, as the user wrote it: a directive's tag without the `${…}` the evaluator wraps it in. */
function shownPart(u: string): string {
  return shownText(directiveOfPart(u) ?? u, 80);
}

/**
 * Why the user data of launch template `k` is known only when Terraform runs, in the evaluator's
 * words (`the collection of %{ for k, v in var.x } is not known: var.x has no default, …`) with where
 * that is written: the reason of its first part not known here (hcl/read.ts records it per
 * attribute). Said only when that part is one of `parts` (those of the config.toml), else the
 * general words: the reason of another part would explain the wrong one.
 */
function whyUnknown(ev: Evidence, k: string, parts: readonly string[]): string {
  return userDataWhy(ev, `aws_launch_template.${k}`, parts) ?? 'they are known only when Terraform runs';
}

/**
 * RF106 of a launch template whose user data is a file the documents lack (`subject.userDataFile`),
 * which verify words for generated output: in the deployment's terms, the file as the files given
 * name it (beside the Terraform file that reads it), and that it is to be given.
 */
export function userDataFileNotGiven(f: Finding, ev: Evidence, address: string, file: string): Finding {
  const origin = ev.terraform.origins.get(address);
  const path = origin ? pathInFolder(file, origin.source.path.split('/').slice(0, -1).join('/')) : file;
  return { ...f, message: `${address}: its user data is the file ${path}, which is not among the files given, so its downloads and credentials are not checked`, fix: `give ${path} with the Terraform files` };
}


/**
 * A line that installs gitlab-runner outside a comment's words: a package manager's install of the
 * package (`apt-get install -y gitlab-runner`, `yum install gitlab-runner-16.1.0`), the package file
 * itself (`dpkg -i gitlab-runner_amd64.deb`, `rpm -Uvh gitlab-runner_….rpm`), or `gitlab-runner
 * install`, which makes it a service (docs.gitlab.com/runner/install/linux-manually). None of these
 * registers a runner: without a register or a config.toml the service runs with no runner.
 */
const RUNNER_INSTALL = /^(?![ \t]*#).*?(?:\b(?:apt-get|apt|yum|dnf|zypper|apk)\b[^\n]*?\b(?:install|add)\b[^\n]*?\bgitlab-(?:ci-multi-)?runner\b|\b(?:dpkg|rpm)[ \t]+-[A-Za-z]*[iU][A-Za-z]*[ \t][^\n]*?gitlab-(?:ci-multi-)?runner|\bgitlab-(?:ci-multi-)?runner[ \t]+install\b)/m;
/**
 * Why the user data of `address` (a launch template as proven, or as written) is known only when
 * Terraform runs, in the evaluator's words with where that is written; with `parts`, only when the
 * reason is about one of them (the reason of another part would explain the wrong one). Undefined
 * where the evaluator recorded none.
 */
export function userDataWhy(ev: Evidence, address: string, parts?: readonly string[]): string | undefined {
  const k = address.replace(/^aws_launch_template\./, '');
  const why = ev.terraform.unknowns.get(`${address.startsWith('aws_launch_template.') ? written(ev, k) : address}.user_data`) ?? ev.terraform.unknowns.get(`${address}.user_data`);
  if (why === undefined) return undefined;
  // A part as written: a directive's tag, or the expression between `${` and its own `}`.
  const inner = (u: string) => directiveOfPart(u) ?? u.replace(/^\$\{|\}$/g, '');
  // A directive's reason names its tag (`the collection of %{ for … } is not known: …`), read to its own `}`.
  const tagAt = why.directive === true ? why.message.indexOf('%{') : -1;
  const tagEnd = tagAt >= 0 ? directiveTagEnd(why.message, tagAt) : undefined;
  const tag = tagEnd !== undefined ? why.message.slice(tagAt, tagEnd) : undefined;
  if (parts !== undefined && !parts.some((u) => why.message.includes(inner(u)) || (tag !== undefined && directiveOfPart(u) === tag))) return undefined;
  return `${why.message} (${formatPosition(why.at)})`;
}

export function findVmManagers(ev: Evidence, root: TerraformRoot, executors: ReadonlySet<string>): { managers: VmManagerEvidence[]; findings: Finding[]; unreadable: string[]; refused: string[]; installsOnly: string[]; hostProcess: string[] } {
  const findings: Finding[] = [];
  const managers: VmManagerEvidence[] = [];
  const unreadable: string[] = [];
  // Managers read whole whose register command gitlab-runner refuses (RF919): read, not unreadable.
  const refused: string[] = [];
  // Instances whose user data installs gitlab-runner and does nothing more with it: no manager, said why.
  const installsOnly: string[] = [];
  // Managers whose executor runs jobs as processes on the instance (shell): said (RF713, RF903), not proven.
  const hostProcess: string[] = [];
  // Register commands of those executors are read too, so that their managers are said (not "no manager").
  const readExecutors = new Set([...executors, ...HOST_PROCESS_EXECUTORS]);
  const texts = new Map<string, string>();
  for (const a of ev.artifacts) if (a.format === 'text') texts.set(a.path, a.content);
  // The register commands of every file given, read once (to point at a command's flags where they are written).
  let commandsRead: WrittenCommands | undefined;
  const commandsOf = () => (commandsRead ??= writtenCommands(ev.texts ?? new Map<string, string>(), ev.terraform.templateVars, ev.terraform.provisioners));
  for (const [k, body] of Object.entries(root.resource.aws_launch_template ?? {})) {
    const origin = ev.terraform.origins.get(`aws_launch_template.${k}`);
    if (!origin) continue;
    const read = userDataText(body, origin.source.path, texts);
    if (read === undefined) continue;
    if ('problem' in read) {
      unreadable.push(`${written(ev, k)} (${formatPosition(originAt(origin, 'user_data'))}): ${read.problem}`);
      continue;
    }
    const userData = read.text;
    const span = heredocSpan(userData, 'config.toml');
    const tomlText = span?.body;
    // A config.toml may hide in the part only apply knows (a templatefile() not evaluated here).
    if (span === undefined && read.unknown.length > 0) unreadable.push(`${written(ev, k)} (${formatPosition(originAt(origin, 'user_data'))}): its user data is known only when Terraform runs (${shownText(read.unknown[0]!, 80)})`);
    let toml: Record<string, unknown> | undefined;
    let tomlOrigin: Origin = { ...origin, path: [...origin.path, 'user_data'] };
    if (tomlText !== undefined) {
      try {
        toml = parseToml(tomlText);
      } catch (e) {
        // A part only apply knows where a key or a table goes (`${tls_ca_file}` on a line of its own):
        // the text is not TOML before apply, and may well be after it. Not proven, not an error.
        const held = read.unknown.filter((u) => tomlText.includes(u));
        if (held.length > 0) {
          const shown = shownPart(held[0]!);
          findings.push(finding('RF906', formatPosition(originAt(origin, 'user_data')), `the config.toml in the user data of ${written(ev, k)} is TOML only once Terraform fills in ${shown}${held.length > 1 ? ` and ${held.length - 1} more` : ''}; ${whyUnknown(ev, k, held)}: this runner manager is not proven`, { fix: 'write the config.toml\'s keys and tables literally in the user data, or give `terraform show -json` of a plan, which carries the rendered user data' }));
          unreadable.push(`${written(ev, k)} (${formatPosition(originAt(origin, 'user_data'))}): its config.toml is TOML only once Terraform fills in ${shown}`);
          continue;
        }
        findings.push(finding('RF901', formatPosition(originAt(origin, 'user_data')), `the config.toml in the user data of ${written(ev, k)} is not valid TOML: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]!}`, { fix: 'fix the config.toml the user data writes' }));
        continue;
      }
      // Settings only apply knows are not proven: the runner is left out, with the keys and values named.
      const blind = unknownKeys(toml, read.unknown).filter((u) => !KEYS_THAT_MAY_BE_UNKNOWN.has(u.last));
      if (blind.length > 0) {
        const shown = blind.slice(0, 3).map((u) => `${u.key} = ${JSON.stringify(shownText(u.value, 60))}`);
        findings.push(finding('RF906', formatPosition(originAt(origin, 'user_data')), `the config.toml in the user data of ${written(ev, k)} sets ${shown.join(', ')}${blind.length > 3 ? ` and ${blind.length - 3} more` : ''}, known only when Terraform runs; ${whyUnknown(ev, k, read.unknown.filter((u) => blind.some((b) => b.value.includes(u))))}: this runner manager is not proven`, { fix: 'write these settings literally in the user data, or give `terraform show -json` of a plan, which carries the rendered user data' }));
        unreadable.push(`${written(ev, k)} (${formatPosition(originAt(origin, 'user_data'))}): its config.toml sets values known only when Terraform runs`);
        continue;
      }
    }
    let registered = false;
    let tokenFlag: VmManagerEvidence['tokenFlag'];
    let tokenFlagWritten: string | undefined;
    let registeredAs: VmManagerEvidence['registeredAs'];
    let registeredFlag: VmManagerEvidence['registeredFlag'];
    // A config.toml written with its global settings only (concurrent, listen_address): register appends its entry to it.
    const globalsOnly = toml !== undefined && toml.runners === undefined ? toml : undefined;
    if (tomlText === undefined || globalsOnly) {
      // No config.toml written: a `gitlab-runner register` whose flags make one at boot.
      const file = typeof body.user_data === 'string' ? userDataFilePath(body.user_data, origin.source.path.split('/').slice(0, -1).join('/'))?.path : undefined;
      // A line of the user data where the user wrote it (a name a `read` sets), where one line of theirs writes it.
      const source = ev.terraform.userDataSources?.get(written(ev, k));
      const steps = ev.terraform.provisioners?.get(written(ev, k));
      const lineShown = (line: number): string => {
        // A line a provisioner runs or writes (its steps follow the user data in the setup script): that provisioner, where it is written.
        const held = setupLineOf(steps, userData.split('\n').length, line);
        const step = held?.step;
        // A line of a script file a remote-exec provisioner runs: that line of that file.
        if (step?.kind === 'script' && step.file !== undefined) return `on line ${held!.line} of ${scriptShown(step.file, written(ev, k), step)}`;
        if (step) return `in the ${step.kind === 'file' ? `file provisioner (${step.destination})` : 'remote-exec provisioner'} of ${provisionerOwner(step, written(ev, k))} at ${formatPosition(step.at)}`;
        const place = source ? userDataLinePlace(source, userData, line) : undefined;
        return place ? `on line ${place.line} of ${place.file}` : 'in the user data as Terraform renders it';
      };
      const prefer = [...(file !== undefined ? [file] : []), origin.source.path];
      // A register of an executor the platforms prove first (the manager is proven by it); else one of a host-process executor (said, not proven).
      const boot =
        fromRegisterCommand(userData, executors, ev.texts ?? texts, commandsOf, prefer, () => originAt(origin, 'user_data'), lineShown) ??
        fromRegisterCommand(userData, readExecutors, ev.texts ?? texts, commandsOf, prefer, () => originAt(origin, 'user_data'), lineShown);
      if (boot && 'problem' in boot) {
        if (boot.said === true) {
          refused.push(`the manager of ${written(ev, k)} (${formatPosition(originAt(origin, 'user_data'))}) was read, but gitlab-runner register refuses its flags at boot (RF919 at ${boot.at}), so it registers no runner`);
          continue;
        }
        findings.push(finding('RF906', boot.at, `the runner manager of ${written(ev, k)} registers with \`gitlab-runner register\` at boot, and ${boot.problem}: this runner manager is not proven`, { fix: boot.fix }));
        unreadable.push(`${written(ev, k)} (${formatPosition(originAt(origin, 'user_data'))}): ${boot.problem}`);
        continue;
      }
      if (boot) {
        toml = globalsOnly ? { ...boot.toml, ...globalsOnly, runners: boot.toml.runners } : boot.toml;
        const flags = boot.origin.source;
        const heredocAt = tomlOrigin;
        // Its global settings where the heredoc writes them; the entry's keys at the flags.
        tomlOrigin = globalsOnly ? { ...boot.origin, source: new RegisterSource(flags.path, (path) => (path[0] === 'runners' ? flags.locate(0, path) : originAt(heredocAt))) } : boot.origin;
        registered = true;
        tokenFlag = boot.tokenFlag;
        tokenFlagWritten = boot.tokenFlagWritten;
        registeredAs = boot.registeredAs;
        registeredFlag = boot.flagOf;
        // gitlab-runner appends one [[runners]] entry per register: the model proves one runner per manager.
        for (const other of boot.others) findings.push(finding('RF903', other, `${setupTextOf(ev.terraform.provisioners?.get(written(ev, k)), other, written(ev, k))} runs a second \`gitlab-runner register\`, which appends another [[runners]] entry (another runner) to the same config.toml: only the first runner of this manager is proven, this one is not`, { fix: 'register one runner per manager (one launch template each), or write the whole config.toml in the user data' }));
      }
    } else if (toml !== undefined && Array.isArray(toml.runners)) {
      // A config.toml heredoc with its [[runners]] entries, and a register command too: register appends an entry the heredoc does not show.
      const extra = registerCommands('user-data', userData);
      if (extra.length > 0) findings.push(finding('RF903', formatPosition(originAt(origin, 'user_data')), `the user data of ${written(ev, k)} writes a config.toml with its [[runners]] and also runs \`gitlab-runner register\`${extra.length > 1 ? ` ${extra.length} times` : ''}, which appends another [[runners]] entry (another runner) to it: only the runners the heredoc writes are proven, not the one register adds`, { fix: 'write every runner in the config.toml heredoc, or register one runner per manager' }));
    }
    const tags = tagsOf(body);
    const named = tags['runner-fleet-runner'];
    // A config.toml file with a VM executor, the only one (or the one in a folder named after the runner).
    const candidates = ev.configTomls.filter((t) => executors.has(getText(t.value, 'runners', 0, 'executor')));
    const pick = nearest(candidates.filter((t) => named !== undefined && t.origin.source.path.split('/').includes(named)), origin.source.path) ?? (candidates.length === 1 ? candidates[0] : undefined);
    if (!toml) {
      if (!pick) {
        // User data read whole that installs gitlab-runner but neither registers nor writes a config.toml: RF910 says so.
        const install = span === undefined && read.unknown.length === 0 && registerCommands('user-data', userData).length === 0 ? RUNNER_INSTALL.exec(userData) : null;
        if (install !== null) {
          const line = userData.slice(0, install.index).split('\n').length;
          const source = ev.terraform.userDataSources?.get(written(ev, k));
          const place = source ? userDataLinePlace(source, userData, line) : undefined;
          installsOnly.push(`${written(ev, k)} installs gitlab-runner (${place ? `${place.file}:${place.line}` : `line ${line} of its user data at ${formatPosition(originAt(origin, 'user_data'))}`}) but registers no runner and writes no config.toml`);
        }
        continue;
      }
      toml = pick.value;
      tomlOrigin = pick.origin;
    }
    const executor = str(get(toml, 'runners', 0, 'executor')) ?? '';
    if (!executors.has(executor)) {
      // A manager whose jobs run as processes on the instance itself: read, said, not proven (no platform proves it).
      if (HOST_PROCESS_EXECUTORS.has(executor)) findings.push(...hostProcessManagerFindings(ev, root, k, body, origin, executor, toml, registered), ...(executor === 'shell' ? shellRootFindings(ev, k, origin, userData) : []));
      if (HOST_PROCESS_EXECUTORS.has(executor)) hostProcess.push(written(ev, k));
      continue;
    }
    // A name the shell expands at boot (`--name "$${my_instance_id}"`, the instance id read from the
    // metadata service) is no name the files give: its letters are a variable's, not the runner's.
    // So is one with a part only Terraform knows (`--description "runner ${var.region}"` rendered
    // before the variable has a value): `runner-var-region` would read as the runner's literal name.
    // Either way the runner is named as one without a name (its resource's name, else its address).
    const tomlName = str(get(toml, 'runners', 0, 'name'));
    const bootName = tomlName !== undefined && /\$(?:\{|[A-Za-z_(])/.test(tomlName);
    const runner = named ?? (bootName ? undefined : tomlName?.replace(/[^A-Za-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').toLowerCase()) ?? str(body.name) ?? k;
    // The runner's config.toml file beside user data that writes its own (in a folder named after the runner).
    const file = tomlText !== undefined ? nearest(candidates.filter((t) => t.origin.source.path.split('/').includes(runner)), origin.source.path) : undefined;
    const configFile = file ? { value: file.value, origin: file.origin } : undefined;
    managers.push({ runner, cluster: tags['runner-fleet-cluster'] ?? 'vm', executor, toml, tomlOrigin, userData, unknownInUserData: read.unknown, tomlInUserData: tomlText !== undefined && !registered, ...(span && !registered ? { tomlBody: { lines: span.body.split('\n'), from: span.from, ...(span.lines ? { map: span.lines } : {}) } } : {}), ...(configFile ? { configFile } : {}), launchTemplateKey: k, origin, ...(registered ? { registered } : {}), ...(tokenFlag !== undefined ? { tokenFlag } : {}), ...(tokenFlagWritten !== undefined ? { tokenFlagWritten } : {}), ...(registeredAs ? { registeredAs } : {}), ...(registeredFlag ? { registeredFlag } : {}) });
  }
  return { managers, findings, unreadable, refused, installsOnly, hostProcess };
}

/**
 * Executors that run a job without a container of the platforms' (GitLab Runner docs, "Executors"),
 * by where the job runs and whether it reaches the instance's metadata service, hence its profile:
 * - `shell` runs builds as processes on the machine where the runner is installed: reached.
 * - `virtualbox` runs each job in a VirtualBox VM on that machine, reached over SSH through a port
 *   forward of the VM's NAT (the executor forwards a port of the instance to the VM's SSH server; a
 *   port forward is a NAT setting, gitlab-runner merge request 240). VirtualBox's NAT engine resends
 *   what the guest sends "using the host operating system": to the network it comes from the
 *   VirtualBox process on the host (VirtualBox manual, "Network Address Translation (NAT)"). So the
 *   metadata service answers a job as a process of the instance: reached, whatever the hop limit.
 * - `parallels` runs each job in a Parallels VM on that machine; whether its shared network hands the
 *   guest's packets on as a router (the hop limit then stops the reply) or from a process of the host
 *   is not documented where we looked: not said either way.
 * - `ssh` runs the job's script on another machine, `[runners.ssh] host`: the instance's profile is
 *   not the jobs' (their machine's is).
 * The platforms prove Docker, docker-autoscaler and Fargate managers on EC2; these are read as
 * managers (no RF910) and said, not proven. `custom` runs whatever its driver does: not read here.
 */
interface HostExecutor {
  reachesProfile: boolean | undefined;
  /** Where its jobs run; `registered`: the entry is register's flags, not a config.toml as written. */
  jobsRun: (toml: Record<string, unknown>, registered: boolean) => string;
}
const HOST_EXECUTORS: ReadonlyMap<string, HostExecutor> = new Map<string, HostExecutor>([
  ['shell', { reachesProfile: true, jobsRun: () => 'as processes on the instance itself' }],
  ['virtualbox', { reachesProfile: true, jobsRun: () => "in VirtualBox VMs on the instance, whose NAT sends the VMs' connections on from the instance's own VirtualBox process" }],
  ['parallels', { reachesProfile: undefined, jobsRun: () => 'in Parallels VMs on the instance' }],
  ['ssh', { reachesProfile: false, jobsRun: (toml, registered) => `on another machine over SSH (${sshHostOf(toml, registered)}), not on the instance` }],
]);
const HOST_PROCESS_EXECUTORS: ReadonlySet<string> = new Set(HOST_EXECUTORS.keys());

/** The machine an ssh executor runs jobs on, as config.toml or register's --ssh-host names it. */
function sshHostOf(toml: Record<string, unknown>, registered: boolean): string {
  const host = str(get(toml, 'runners', 0, 'ssh', 'host'));
  const key = registered ? '--ssh-host' : '[runners.ssh] host';
  if (host === undefined || host.trim() === '') return `no ${key} given`;
  return registered ? `${key} ${host}` : `${key} = ${JSON.stringify(host)}`;
}

/**
 * What the doctor says of a manager whose jobs run outside the platforms' containers (HOST_EXECUTORS):
 * RF713 where they reach the instance's metadata service and the instance has an instance profile (a
 * process on the instance reaches it whatever the hop limit, which only counts the hops a reply makes
 * past the instance: EC2 User Guide, "Configure the instance metadata options"; so every job holds the
 * manager's role), and RF903 that its chain is not proven, saying where its jobs run.
 */
function hostProcessManagerFindings(ev: Evidence, root: TerraformRoot, k: string, body: Record<string, unknown>, origin: Origin, executor: string, toml: Record<string, unknown>, registered: boolean): Finding[] {
  const address = written(ev, k);
  const out: Finding[] = [];
  const how = HOST_EXECUTORS.get(executor)!;
  const jobsRun = how.jobsRun(toml, registered);
  const profileRef = instanceProfileOf(body);
  if (profileRef !== undefined && how.reachesProfile === true) {
    const profileKey = resolveKey(root, 'aws_iam_instance_profile', profileRef);
    const roleRef = profileKey !== undefined ? str(root.resource.aws_iam_instance_profile?.[profileKey]?.role) : undefined;
    const roleKey = roleRef !== undefined ? resolveKey(root, 'aws_iam_role', roleRef) : undefined;
    const role = roleKey !== undefined ? str(root.resource.aws_iam_role?.[roleKey]?.name) ?? roleKey : roleRef;
    const profileName = profileKey !== undefined ? str(root.resource.aws_iam_instance_profile?.[profileKey]?.name) : undefined;
    const profile = profileName !== undefined && !profileName.includes('${') ? profileName : profileKey !== undefined ? `aws_iam_instance_profile.${profileKey}` : profileRef;
    out.push(
      finding(
        'RF713',
        formatPosition(originAt(origin, 'iam_instance_profile')),
        `the runner manager ${address} runs its jobs with the ${executor} executor, ${jobsRun}: every job can ask the instance metadata service for the credentials of its instance profile ${profile}${role !== undefined && !role.includes('${') ? ` (role ${role})` : ''}, which are the manager's, whatever the IMDS hop limit (that only counts hops past the instance)`,
        { fix: 'run jobs in containers (the docker executor, with IMDSv2 and hop limit 1) or on instances of their own (docker-autoscaler) that carry no instance profile of the manager; a job that needs AWS gets a role of its own through GitLab CI id_tokens' },
      ),
    );
  }
  out.push(
    finding(
      'RF903',
      formatPosition(originAt(origin, 'user_data')),
      `${address} is a runner manager with the ${executor} executor${how.reachesProfile === true ? '' : `, which runs its jobs ${jobsRun}${how.reachesProfile === false && profileRef !== undefined ? ', so its instance profile is not theirs' : ''}`}; the doctor proves EC2 runners whose jobs run in Docker containers, on docker-autoscaler instances or on Fargate, so this runner's chain (its identity's permissions, its token's store, its cache) is not proven`,
      { fix: 'run the runner with the docker, docker-autoscaler or Fargate (custom) executor to have its chain proven' },
    ),
  );
  return out;
}

/**
 * The shell executor runs each job as a process of the `gitlab-runner` user the package creates
 * (docs.gitlab.com/runner/executors/shell: "the user who installed GitLab Runner", `gitlab-runner`
 * for the packages, which install the service with `--user gitlab-runner`), so that jobs cannot read
 * config.toml (root's, with the runner tokens) or change the runner. User data that makes that user
 * root-equivalent hands every job the instance:
 * - a sudoers line that names it (or a group it joins here) with NOPASSWD (sudoers(5)): `sudo` without
 *   a password, and the user has none, so only such a line lets it use sudo at all;
 * - the `docker` group: the Docker socket's group, whose members start a privileged container with
 *   the host's disk mounted (Docker Engine docs, "Docker daemon attack surface": "only trusted users
 *   should be allowed to control your Docker daemon"; the post-install docs warn the group grants
 *   root-level privileges).
 * Joining `sudo`, `wheel` or `admin` without a NOPASSWD line for that group asks a password the user
 * does not have: not said.
 */
// The group list is taken whole ((?![\w,.-]): no shorter list is tried, each would rescan the rest of the
// line for gitlab-runner, quadratic in a long word); the NOPASSWD line's name is followed by one blank, then
// anything ([ \t]+ before [^\n]* splits a run of blanks every way, quadratic in a long one).
export const SUDOERS_NOPASSWD = /^\s*(?:echo\s+["']?)?(%?[\w.-]+)[ \t][^\n]*\bNOPASSWD[ \t]*:/;
const USERMOD = /\busermod\b/;
const USERMOD_GROUPS = /-a?G\s*([\w,.-]+)(?![\w,.-])/g;
const RUNNER_WORD = /\bgitlab-runner\b/g;
const GPASSWD = /\bgpasswd\s+-a\s+gitlab-runner\s+([\w.-]+)/;
const ADDUSER = /\badduser\s+gitlab-runner\s+([\w.-]+)/;

/**
 * The groups a line adds gitlab-runner to (`usermod -aG docker gitlab-runner`, `gpasswd -a gitlab-runner
 * docker`, `adduser gitlab-runner docker`), the first of them on the line, as the one regex before stop
 * 57 read them, in linear time (test/doctor-linear-scans-57f.test.ts compares the two). That regex tried,
 * at each `-G` after `usermod`, the rest of the line for `gitlab-runner`: quadratic on a line of many
 * `-G x` (200,000 characters: 11 s). Here the last `gitlab-runner` word is
 * found once, and the first `-G` group ending before it is the one the regex takes (a later `usermod`
 * sees only `-G`s the first one sees, with the same last word, so the first `usermod` decides).
 */
export function groupJoin(line: string): string[] | undefined {
  // One line: the regex's `[^\n]` parts are read as any character here.
  let best: { at: number; group: string } | undefined;
  const usermod = USERMOD.exec(line);
  if (usermod) {
    let last = -1;
    RUNNER_WORD.lastIndex = usermod.index;
    for (let m = RUNNER_WORD.exec(line); m !== null; m = RUNNER_WORD.exec(line)) last = m.index;
    // The leftmost `-G` after usermod: one starting inside it ends where it ends (its group takes `-`), and any later one ends later.
    USERMOD_GROUPS.lastIndex = usermod.index + usermod[0].length;
    const m = USERMOD_GROUPS.exec(line);
    if (m && m.index + m[0].length <= last) best = { at: usermod.index, group: m[1]! };
  }
  for (const re of [GPASSWD, ADDUSER]) {
    const m = re.exec(line);
    if (m && (best === undefined || m.index < best.at)) best = { at: m.index, group: m[1]! };
  }
  return best?.group.split(',');
}
/**
 * `gitlab-runner install --user root` (or `run --user root`): the service runs `gitlab-runner run --user
 * root`, and the shell executor runs each job as the user `run` is given with --user
 * (docs.gitlab.com/runner/executors/shell, "Run scripts as a privileged user"; commands/service.go
 * passes install's --user on to run): every job is root.
 */
export const RUN_AS_ROOT = /\bgitlab-runner\s+(install|run)\b[^\n]*?\s(?:--user|-u)(?:\s+|=)["']?root\b/;
export const RUN_AS_ROOT_FIX = 'install and run the service with --user gitlab-runner (as the packages do), so shell jobs run unprivileged; jobs that need root or Docker belong in the docker executor or on docker-autoscaler instances of their own';
export const SHELL_ROOT_FIX = 'remove the grant: shell jobs are meant to run as the unprivileged gitlab-runner user; jobs that need root or Docker belong in the docker executor (containers, with IMDSv2 hop limit 1) or on docker-autoscaler instances of their own';

function shellRootFindings(ev: Evidence, k: string, origin: Origin, userData: string): Finding[] {
  const lines = userData.split('\n');
  const passwordless = new Map<string, number>();
  const grants: { line: number; what: string; root?: true }[] = [];
  lines.forEach((l, i) => {
    const m = SUDOERS_NOPASSWD.exec(l.replace(/^\s*["']/, ''));
    if (m) passwordless.set(m[1]!, i + 1);
  });
  lines.forEach((l, i) => {
    const m = RUN_AS_ROOT.exec(l);
    if (m) grants.push({ line: i + 1, what: `runs \`gitlab-runner ${m[1]!} --user root\`, so the service runs \`gitlab-runner run --user root\` and hands every shell job to root`, root: true });
  });
  const user = passwordless.get('gitlab-runner');
  if (user !== undefined) grants.push({ line: user, what: 'passwordless sudo (a sudoers line with NOPASSWD)' });
  lines.forEach((l, i) => {
    const groups = groupJoin(l);
    if (!groups) return;
    if (groups.includes('docker')) grants.push({ line: i + 1, what: "the docker group (the Docker socket's: a member starts a privileged container with the host's disk mounted)" });
    for (const g of groups.filter((g) => passwordless.has(`%${g}`))) grants.push({ line: i + 1, what: `the ${g} group, which a sudoers line (line ${passwordless.get(`%${g}`)!} of the user data) gives passwordless sudo` });
  });
  const source = ev.terraform.userDataSources?.get(written(ev, k));
  return grants.map((g) => {
    const place = source ? userDataLinePlace(source, userData, g.line) : undefined;
    const line = place ? `line ${place.line} of ${place.file}` : `line ${g.line} as Terraform renders it`;
    const how = g.root === true ? `runs its jobs with the shell executor, and its user data (${line}) ${g.what}` : `runs its jobs with the shell executor, as the gitlab-runner user, and its user data (${line}) gives that user ${g.what}`;
    return finding('RF309', formatPosition(place ?? originAt(origin, 'user_data')), `the runner manager ${written(ev, k)} ${how}: every job is root on the instance, reads config.toml with the runner's token, changes gitlab-runner and what the next jobs run, and holds the instance's credentials`, { fix: g.root === true ? RUN_AS_ROOT_FIX : SHELL_ROOT_FIX });
  });
}

/**
 * The user data with its config.toml heredoc in runner-fleet's canonical TOML text (same data, as
 * policies are re-serialized), so the chain proof compares content, not formatting. Only what the
 * proofs read: the user data is never printed.
 */
export function canonicalUserData(m: VmManagerEvidence, canonicalToml: string): string {
  // A manager that registers at boot writes the config.toml rebuilt from its flags: the chain proof reads it after the script.
  if (m.registered === true) return `${m.userData.replace(/\n?$/, '\n')}${canonicalToml}`;
  if (!m.tomlInUserData) return m.userData;
  const span = heredocSpan(m.userData, 'config.toml');
  if (!span) return m.userData;
  const lines = m.userData.split('\n');
  // A cloud-init write_files block keeps its indentation, so the user data stays the YAML it was.
  const toml = span.indent ? canonicalToml.replace(/\n$/, '').replace(/^(?=.)/gm, span.indent) : canonicalToml.replace(/\n$/, '');
  // A file written then appended to: the canonical text in the first heredoc, the appends left empty.
  const parts = span.parts ?? [{ from: span.from, to: span.to }];
  const out = lines.slice(0, parts[0]!.from);
  parts.forEach((p, n) => out.push(...(n === 0 ? [toml] : []), ...lines.slice(p.to, parts[n + 1]?.from ?? lines.length)));
  return out.join('\n');
}

/** Moves a resource to the key the platform's proofs look it up by (hand-written roots use their own keys). */
export function rekey(root: TerraformRoot, ev: Evidence, type: string, from: string, to: string): void {
  const byKey = root.resource[type];
  if (!byKey || from === to || !Object.hasOwn(byKey, from) || Object.hasOwn(byKey, to)) return;
  setOwn(byKey, to, byKey[from]!);
  delete byKey[from];
  keyMoved(byKey, from, to);
  const o = ev.terraform.origins.get(`${type}.${from}`);
  if (o) ev.terraform.origins.set(`${type}.${to}`, o);
  (ev.terraform.renamed ??= new Map()).set(`${type}.${to}`, ev.terraform.renamed?.get(`${type}.${from}`) ?? `${type}.${from}`);
  const providers = root.awsProvidersOf?.get(`${type}.${from}`);
  if (providers) root.awsProvidersOf!.set(`${type}.${to}`, providers);
  // The moved body holds the references it held, under its new key.
  const index = referenceIndex(root);
  const moved = index.refs.get(`${type}\u0000${from}`);
  if (moved) {
    for (const address of moved) {
      const holders = index.holders.get(address)!;
      holders.delete(`${type}\u0000${from}`);
      holders.add(`${type}\u0000${to}`);
    }
    index.refs.set(`${type}\u0000${to}`, moved);
    index.refs.delete(`${type}\u0000${from}`);
  }
  rewriteReferences(root, type, from, to);
}

/**
 * Which resource bodies of a root hold a reference to which address (`type.name` inside `${…}`), so
 * a rekey rewrites only the bodies that name the resource: a walk of every string of the root per
 * rekey was quadratic in the runners of many deployments given together (400 folders: 10 s).
 * Holders are `type\u0000name`. Built at a root's first rekey after `startRekeys` and kept up to
 * date by rekey; nothing else adds or removes a resource of the root while its runners are rekeyed
 * (inferVmRunners).
 */
interface ReferenceIndex {
  holders: Map<string, Set<string>>;
  refs: Map<string, Set<string>>;
}

/** Forgets a root's reference index: the rekeys that follow read the root as it is now. */
export function startRekeys(root: TerraformRoot): void {
  referenceIndexes.delete(root);
}

const referenceIndexes = new WeakMap<TerraformRoot, ReferenceIndex>();
/** An address as rewriteReferences matches one: `type.name`, not after a dot or a name character. */
const ADDRESS = /(?<![A-Za-z0-9_.-])([a-z0-9_]+)\.([A-Za-z0-9_-]+)/g;

function referenceIndex(root: TerraformRoot): ReferenceIndex {
  const hit = referenceIndexes.get(root);
  if (hit) return hit;
  const index: ReferenceIndex = { holders: new Map(), refs: new Map() };
  for (const [type, byName] of Object.entries(root.resource)) {
    for (const [name, body] of Object.entries(byName)) {
      const id = `${type}\u0000${name}`;
      const stack: unknown[] = [body];
      while (stack.length > 0) {
        const v = stack.pop();
        if (typeof v === 'string') {
          if (!v.includes('${')) continue;
          for (const m of v.matchAll(ADDRESS)) {
            const address = `${m[1]!}.${m[2]!}`;
            let holders = index.holders.get(address);
            if (!holders) index.holders.set(address, (holders = new Set()));
            holders.add(id);
            let refs = index.refs.get(id);
            if (!refs) index.refs.set(id, (refs = new Set()));
            refs.add(address);
          }
        } else if (Array.isArray(v)) stack.push(...(v as unknown[]));
        else if (v !== null && typeof v === 'object') stack.push(...Object.values(v as Record<string, unknown>));
      }
    }
  }
  referenceIndexes.set(root, index);
  return index;
}

/**
 * References to a renamed resource (`${aws_security_group.workers.id}` in a rule, a launch
 * template, an Auto Scaling group) are renamed with it, everywhere in the root's resources: the
 * platform proofs compare references with runner-fleet's keys, and one left under the user's key
 * would match nothing, so a rule on that resource would go unchecked.
 */
function rewriteReferences(root: TerraformRoot, type: string, from: string, to: string): void {
  const written = `${type}.${from}`;
  const re = new RegExp(`(?<![A-Za-z0-9_.-])${escapeRe(type)}\\.${escapeRe(from)}(?![A-Za-z0-9_-])`, 'g');
  // Copy on write: the root's bodies are the evidence's (normalizeTerraform copies only the maps by
  // type); a body (or a part of it) changes only where it holds such a reference. Only the bodies
  // that hold one are walked (referenceIndex).
  const index = referenceIndex(root);
  const holders = index.holders.get(written);
  if (!holders) return;
  const moved = `${type}.${to}`;
  for (const id of holders) {
    const [holderType, holderName] = id.split('\u0000') as [string, string];
    const byName = root.resource[holderType];
    if (byName && Object.hasOwn(byName, holderName)) mapBodyStrings(byName, holderName, (v) => (v.includes('${') && v.includes(written) ? v.replace(re, moved) : v), { copyOnWrite: true });
    const refs = index.refs.get(id)!;
    refs.delete(written);
    refs.add(moved);
  }
  index.holders.delete(written);
  const into = index.holders.get(moved);
  if (into) for (const id of holders) into.add(id);
  else index.holders.set(moved, holders);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The user data as the file `ec2/<runner>/user-data.sh` that the chain proof compares it with, when no such file was given. */
export function userDataArtifact(m: VmManagerEvidence): Artifact {
  return { path: `ec2/${m.runner}/user-data.sh`, format: 'text', content: m.userData };
}

/** An AWS role identity of a VM runner, bound to the compute that carries it. */
export function vmIdentity(root: TerraformRoot, cluster: ResolvedCluster, runner: string, purpose: 'manager' | 'jobs', roleKey: string, aws: { accountId: string; partition: string; accountShown?: false }, subject: { attachment: 'instance-profile' | 'task-definition'; service: string; name: string; mechanism: string }): AwsRoleIdentity {
  const body = root.resource.aws_iam_role![roleKey]!;
  const path = typeof body.path === 'string' ? body.path : '/';
  const name = String(body.name);
  return {
    cloud: 'aws',
    key: `${runner}-${purpose}`,
    runner,
    purpose,
    roleName: name,
    rolePath: path,
    arn: `arn:${aws.partition}:iam::${aws.accountId}:role${path}${name}`,
    binding: { mechanism: subject.mechanism, subject: { kind: 'aws-service', cluster: cluster.name, service: subject.service, attachment: subject.attachment, name: subject.name, account: aws.accountId, ...(aws.accountShown === false ? { accountNotShown: true as const } : {}) } },
    statements: [],
  };
}

export const vmKey = tfName;

/** The register commands written in the files given, by their flags (names and values; names only), and one line index per file. */
interface WrittenCommands {
  exact: Map<string, { path: string; command: RegisterCommand }[]>;
  names: Map<string, { path: string; command: RegisterCommand }[]>;
  lines: (path: string) => LineIndex;
}

const signature = (c: RegisterCommand, values: boolean): string => JSON.stringify(c.flags.map((f) => (values ? [f.name, f.value ?? null] : f.name)));

function writtenCommands(texts: ReadonlyMap<string, string>, templateVars?: Evidence['terraform']['templateVars'], provisioners?: Evidence['terraform']['provisioners']): WrittenCommands {
  const exact = new Map<string, { path: string; command: RegisterCommand }[]>();
  const names = new Map<string, { path: string; command: RegisterCommand }[]>();
  const add = (path: string, command: RegisterCommand) => {
    for (const [map, key] of [[exact, signature(command, true)], [names, signature(command, false)]] as const) {
      const list = map.get(key);
      if (list) list.push({ path, command });
      else map.set(key, [{ path, command }]);
    }
  };
  // A remote-exec `inline` string of an HCL file, each read alone (the file read whole runs one string's
  // command into the next one's quote): first, so a command is found at its own string.
  for (const steps of provisioners?.values() ?? []) {
    for (const step of steps) {
      if (step.kind !== 'line' || step.loc.json || !/^"[^\n]*"$/.test(step.written)) continue;
      const base = step.offset + 1;
      const file = texts.get(step.at.file);
      for (const c of registerCommands(step.at.file, step.written.slice(1, -1), file !== undefined ? scriptVersion(step.at.file, file, templateVars, texts) : undefined)) add(step.at.file, { ...c, at: c.at + base, flags: c.flags.map((f) => ({ ...f, at: f.at + base })) });
    }
  }
  for (const [path, text] of texts) {
    // Read as the doctor reads them where it says what is wrong with them (registerCommandFindings): against the version the file installs.
    for (const command of registerCommands(path, text, scriptVersion(path, text, templateVars, texts))) add(path, command);
  }
  const indexes = new Map<string, LineIndex>();
  const lines = (path: string) => {
    let index = indexes.get(path);
    if (!index) indexes.set(path, (index = new LineIndex(texts.get(path) ?? '')));
    return index;
  };
  return { exact, names, lines };
}

/**
 * The config.toml a manager makes at boot with `gitlab-runner register` (the first command of its
 * user data with an executor a platform reads): the flags' entry, its `--template-config` merged
 * in where the template is shown, and an origin that points each key at the flag that set it, in
 * the file where the command is written. A problem: what keeps the runner from being proven.
 */
function fromRegisterCommand(userData: string, executors: ReadonlySet<string>, texts: ReadonlyMap<string, string>, commandsOf: () => WrittenCommands, prefer: readonly string[], fallback: () => Position, lineShown: (line: number) => string): { toml: Record<string, unknown>; origin: Origin; tokenFlag?: 'token' | 'registration-token'; tokenFlagWritten?: string; registeredAs?: { locked: boolean; protectedOnly: boolean }; flagOf: NonNullable<VmManagerEvidence['registeredFlag']>; others: string[] } | { problem: string; fix: string; at: string; said?: true } | undefined {
  // Against the flags of the gitlab-runner the user data installs, where it pins one (a flag that version has and a later one removed is RF934, said where it is written: the manager registers).
  const written0 = registerCommands('user-data', userData, scriptVersion('user-data', userData));
  if (written0.length === 0) return undefined;
  // bash runs nothing of the user data from an array `A=(` that no `)` closes on (shell-vars.ts scriptStop): a register command there never runs.
  const stop = userData.includes('=(') ? scriptStop(userData) : undefined;
  const commands = stop === undefined ? written0 : written0.filter((c) => c.at < stop.from);
  if (commands.length === 0) return { problem: `its user data's array assignment on line ${stop!.line} opens \`(\` and no \`)\` closes it: bash reads to the end of the script, stops with a syntax error ("unexpected EOF while looking for matching \`)'") before that line runs, so its gitlab-runner register never runs and no runner is registered`, fix: 'close the array with `)` where its elements end', at: formatPosition(fallback()) };
  const configs = commands.map((c) => {
    const why = new Map<string, { by: string; line: number }>();
    return { command: c, config: registerConfig(c, assignedInForce(userData, c.at, why)), why };
  });
  const withTemplate = configs.find((c) => c.config.templateConfig !== undefined);
  const chosen = configs.find((c) => executors.has(getText(c.config.toml, 'runners', 0, 'executor'))) ?? (withTemplate && get(withTemplate.config.toml, 'runners', 0, 'executor') === undefined ? withTemplate : undefined);
  if (!chosen) return undefined;
  const { command } = chosen;
  let config: RegisterConfig = chosen.config;
  // The same command where it is written (a user data file, a heredoc in Terraform): its flags in the same order.
  const written = commandsOf();
  const exact = written.exact.get(signature(command, true)) ?? [];
  // Terraform filled a value in (templatefile): the same flags in the same order, where only one command has them.
  const byName = exact.length > 0 ? exact : (written.names.get(signature(command, false)) ?? []);
  // The copy in the manager's own files (its user data file, its Terraform file) where several files hold the same command.
  const home = byName.find((w) => prefer.includes(w.path)) ?? (byName.length === 1 ? byName[0] : undefined);
  const position = (offset: number): Position => {
    if (!home) return fallback();
    const i = command.flags.findIndex((f) => f.at === offset);
    const at = i < 0 ? home.command.at : home.command.flags[i]!.at;
    const p = written.lines(home.path).pos(at);
    return { file: home.path, line: p.line, column: p.column };
  };
  const where = (offset: number) => formatPosition(position(offset));
  const writtenAs = (c: RegisterCommand, values: boolean): { path: string; command: RegisterCommand } | undefined => {
    const key = signature(c, values);
    const found = (values ? written.exact : written.names).get(key) ?? [];
    const own = found.filter((w) => prefer.includes(w.path));
    const pool = own.length > 0 ? own : found;
    const nth = commands.filter((d) => signature(d, values) === key).indexOf(c);
    return pool[nth] ?? pool[0];
  };
  // A command register refuses (RF919, said where it is written): no runner is registered, none is proven.
  // Against the version read where the command is written (that file's pin, or its folder's, scriptPin) where it is found there.
  const version = home?.command.version ?? command.version;
  const refused = command.flags.find((f) => isUndefinedFlag(f.name, version)) ?? tokenNotTaken(command, version) ?? refusedSetting(command, version);
  if (refused !== undefined) return { problem: `its ${refused.written} makes gitlab-runner register exit with an error at boot (RF919), so no runner is registered`, fix: 'fix the command as RF919 says', at: where(refused.at), said: true };
  // Every other command of the user data appends a [[runners]] entry of its own to the same config.toml,
  // said where it is written: the same command with the same values, else (Terraform filled a value in)
  // with the same flags; of several alike, the one in the same place in order (the user data's second
  // such command is the second written, as a remote-exec inline list runs its strings in order).
  const others = configs.filter((c) => c !== chosen).map((c) => {
    const p = writtenAs(c.command, true) ?? writtenAs(c.command, false);
    return p ? formatPosition({ file: p.path, ...written.lines(p.path).pos(p.command.at) }) : formatPosition(fallback());
  });
  if (config.unknown.length > 0) {
    const u = config.unknown[0]!;
    // The shell name in the value that the script leaves unknown, and the construct that does (`read`, `+=`, `source`).
    const names = [...u.value.matchAll(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g)].map((m) => m[1] ?? m[2]!);
    const set = names.map((n) => [n, chosen.why.get(n), chosen.why.get('*')] as const).find(([, w, any]) => w !== undefined || any !== undefined);
    const because = set ? (set[1] !== undefined ? `: ${set[0]} is set by ${set[1].by} ${lineShown(set[1].line)}` : `: ${set[0]} may be set by ${set[2]!.by} ${lineShown(set[2]!.line)}`) : '';
    return { problem: `its ${u.written} ${JSON.stringify(shownText(u.value, 60))} is known only at boot${config.unknown.length > 1 ? ` (and ${config.unknown.length - 1} more flag(s))` : ''}${because}`, fix: 'write the value in the command, or set it in the script before the command (NAME=value), so the doctor can read it', at: where(u.at) };
  }
  const template = config.templateConfig;
  if (template) {
    const name = template.file.split('/').pop()!;
    // The template written by the same user data (a heredoc), else a file of that name among those given.
    const text = heredoc(userData, name) ?? [...texts].find(([p]) => isFileNamed(p, name))?.[1];
    const fix = `give the template file ${template.file} (or write it in the user data with a heredoc), or write the whole config.toml in the user data`;
    if (text === undefined || template.file.includes('$')) return { problem: `its --template-config ${template.file} is not among the files given: the template may set any key the flags leave empty (privileged, volumes, the cache and its credentials), so nothing it could set is checked`, fix, at: where(template.at) };
    let parsed: unknown;
    try {
      parsed = parseToml(text);
    } catch {
      parsed = undefined;
    }
    const runners = get(parsed, 'runners');
    if (!Array.isArray(runners) || runners.length !== 1 || !isObject(runners[0])) return { problem: `its --template-config ${template.file} is not a TOML file with exactly one [[runners]] entry (gitlab-runner refuses to register with it)`, fix, at: where(template.at) };
    config = mergeTemplate(config, runners[0]);
    if (!executors.has(getText(config.toml, 'runners', 0, 'executor'))) return undefined;
  }
  // What no register flag sets: a docker-autoscaler's [runners.autoscaler] (its plugin, its instance group) comes only
  // from a template; a custom executor runs a driver whose own configuration (the Fargate driver's fargate.toml) the files must show.
  const executor = getText(config.toml, 'runners', 0, 'executor');
  if (executor === 'docker-autoscaler' && !isObject(get(config.toml, 'runners', 0, 'autoscaler'))) return { problem: 'its docker-autoscaler executor has no [runners.autoscaler] table (its fleeting plugin and instance group), which no register flag sets and only a --template-config gives', fix: 'give the --template-config file with its [runners.autoscaler] table, or write the whole config.toml in the user data', at: where(config.at(['executor'])) };
  if (executor === 'custom' && heredoc(userData, 'fargate.toml') === undefined) return { problem: "its custom executor runs a driver whose configuration (the Fargate driver's fargate.toml) the user data does not write", fix: 'write the driver\'s configuration (fargate.toml) in the user data with a heredoc, or write the whole config.toml there', at: where(config.at(['executor'])) };
  const located = (path: readonly (string | number)[]): Position => {
    const key = path[0] === 'runners' && typeof path[1] === 'number' ? path.slice(2) : path;
    // A key the template set: the --template-config flag.
    const set = template !== undefined && !flagSet(command, config, key) ? template.at : config.at(key);
    return position(set);
  };
  const flagOf = (path: readonly (string | number)[]): string | undefined => {
    const key = path[0] === 'runners' && typeof path[1] === 'number' ? path.slice(2) : path;
    return template !== undefined && !flagSet(command, config, key) ? undefined : config.flag(key);
  };
  // The last of --token and --registration-token is the one register reads (both set the same key).
  const tokenFlagOf = command.flags.filter((f) => f.name === 'token' || f.name === 'registration-token').pop();
  const tokenFlag = tokenFlagOf?.name as 'token' | 'registration-token' | undefined;
  // A registration token as written (GR1348941…, not glrt-): the legacy flow sends --locked and --access-level (doLegacyRegisterRunner).
  const tokenValue = command.flags.filter((f) => f.name === 'token' || f.name === 'registration-token').pop()?.value;
  const last = (name: string) => command.flags.filter((f) => f.name === name).pop();
  const lockedFlag = last('locked');
  const registeredAs = tokenFlag === 'registration-token' && tokenValue !== undefined && tokenValue !== '' && !tokenValue.includes('$') && !tokenValue.startsWith('glrt-') && !(lockedFlag?.value ?? '').includes('$') && !(last('access-level')?.value ?? '').includes('$')
    ? { locked: lockedFlag === undefined || !/^(false|f|0)$/i.test(lockedFlag.value ?? 'true'), protectedOnly: last('access-level')?.value === 'ref_protected' }
    : undefined;
  return { toml: config.toml, origin: { source: new RegisterSource(home?.path ?? fallback().file, located), doc: 0, path: [] }, ...(tokenFlag !== undefined ? { tokenFlag, tokenFlagWritten: flagShown(tokenFlagOf!) } : {}), ...(registeredAs ? { registeredAs } : {}), flagOf, others };
}

/** Whether a key (or the table above it) was set by a flag of the command rather than by a template. */
function flagSet(command: RegisterCommand, config: RegisterConfig, key: readonly (string | number)[]): boolean {
  return key.length > 0 && config.at(key) !== command.at;
}

/** A config.toml rebuilt from register flags, as a source whose keys are located at the flags that set them. */
class RegisterSource extends SourceFile {
  readonly #located: (path: readonly (string | number)[]) => Position;
  constructor(path: string, located: (path: readonly (string | number)[]) => Position) {
    super(path, '', 'toml');
    this.#located = located;
  }
  override locate(_doc: number, path: readonly (string | number)[]): Position {
    return this.#located(path);
  }
}

/**
 * Of the config.toml files that may be a manager's (in a folder named after its runner), the one
 * nearest the file that starts the manager: the most leading folders in common with it, the first
 * given of those. Two deployments side by side (`staging/` and `prod/`, each with
 * `runners/<name>/config.toml` beside its Terraform) each take their own.
 */
export function nearest<T extends { origin: Origin }>(candidates: readonly T[], from: string): T | undefined {
  const folders = from.split('/').slice(0, -1);
  const common = (path: string): number => {
    const parts = path.split('/');
    let n = 0;
    while (n < folders.length && n < parts.length - 1 && parts[n] === folders[n]) n++;
    return n;
  };
  let best: T | undefined;
  let bestCommon = -1;
  for (const c of candidates) {
    const n = common(c.origin.source.path);
    if (n > bestCommon) [best, bestCommon] = [c, n];
  }
  return best;
}
