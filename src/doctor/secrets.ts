import type { Finding, SecretPlace } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import { formatPosition, type Position, type SourceFile } from './source.js';
import { LineIndex, interpolations, type Body, type Expr } from './hcl/ast.js';
import { CREDENTIAL_NEEDLES, MACHINE_KEY_OPTIONS, RUNNER_TOKEN_ATTRIBUTE_NAMES, RUNNER_TOKEN_SHAPES, SECRET_KEY_NAME_KEY, SHAPES, credentialIn, isCloudKey, lineCredentials, lineNotes, machineKey, notedPlaceholder, placeholderKeyBlock, placeholderValue, PRIVATE_KEY, secretKeyNameBeside, secretKeyNameOnLine, secretKeyNameValue, type MachineKeyOption, type Shape } from '../verify/credentials.js';
import { machineKeyFix } from '../verify/runner-toml.js';
import { cloudFormationTypes } from './cloudformation.js';

/**
 * Static credentials in the files the doctor reads. Values are looked at only to decide whether
 * they have the shape of a credential; findings name the file position and the key, never the
 * value, and Kubernetes Secret values are dropped right after the check.
 */

/**
 * One test over a file's raw text: whether any value or key in it could be a credential. Every
 * finding of `findSecrets` needs a shape's needle in a value or a credential key's name as a key
 * (or `KEY=` prefix, or env entry name); parsers only copy those from the text, except where an
 * escape builds characters (`\x41`, `\u0041`, `\U…`) or a backslash joins two lines: then the
 * file is walked. YAML folding joins lines with a space, which no needle contains.
 */
const MAY_HOLD = new RegExp(CREDENTIAL_NEEDLES.join('|') + '|\\\\[xuU]|\\\\[ \\t]*\\r?\\n');

export function mayHoldSecrets(text: string): boolean {
  return MAY_HOLD.test(text);
}

/** What a value is, by its shape or its key; undefined: not a credential. Never returns the value. */
function classify(value: string, key: string | undefined): Shape | undefined {
  return credentialIn(value, key)?.what;
}

export interface SecretHit {
  path: (string | number)[];
  key: string;
  what: Shape;
}

/** Walks one document; `KEY=value` strings and `{name, value}` env entries count by their key. */
export function findSecrets(doc: unknown): SecretHit[] {
  return scan(doc).map((x) => x.hit);
}

/** A credential found on a line of a multi-line string: where it is in the string, as decoded. */
interface InString {
  /** The offsets in the string of its first and last character (the key of a `KEY=value`, or the credential). */
  from: number;
  last: number;
  /** The string's own text from `from` to `last`, to find it in the file's text (dropped with the hit). */
  written: string;
  /** The key of a `KEY=value` line. */
  assigned?: string;
}

/**
 * What a setting says that is no credential but shows a static key is configured: a docker-machine key
 * option set to a placeholder (RF928), or a cloud credential key set to a placeholder: AWS's documented
 * example key, an environment variable's name, a word that asks for the value (RF933, `notedPlaceholder`).
 */
interface Note {
  option?: MachineKeyOption;
  named?: string;
}

/** One hit of `scan`; hits of one multi-line string share their `path` array and are in the string's order. `note`: no credential, a note. */
interface Scanned {
  hit: SecretHit;
  secret: string;
  inString?: InString;
  note?: Note;
}

/** A placeholder `what` of a note's hit (notes are no credential; their hits are never grouped by it). */
const NOTE: Shape = { name: 'no credential', re: /$^/, cloud: true, needles: [] };

/**
 * The credentials or notes of line `n` but those `namesSecretKey` says are a Secret's key name, and
 * a private key whose block has placeholders for its body (`placeholderKeyBlock`); the same array
 * where there are none.
 */
function withoutSecretKeyNames<T extends { key?: string; what?: Shape; option?: unknown }>(found: readonly T[], lines: () => readonly string[], n: number): readonly T[] {
  if (found.some((c) => c.what === PRIVATE_KEY && placeholderKeyBlock(lines(), n))) found = found.filter((c) => c.what !== PRIVATE_KEY);
  return found.some((c) => c.key === SECRET_KEY_NAME_KEY) ? found.filter((c) => !namesSecretKey(c, lines, n)) : found;
}

/**
 * Whether a credential or note found by its key on line `n` of lines read one by one is a
 * `secret_key` that names a key of the Secret its block names (`secretKeyNameOnLine`): neither a
 * credential nor a note. `lines`: the text's lines, split only when a `secret_key` is found.
 */
function namesSecretKey(c: { key?: string; what?: Shape; option?: unknown }, lines: () => readonly string[], n: number): boolean {
  return c.key === SECRET_KEY_NAME_KEY && c.option === undefined && (c.what === undefined || !SHAPES.includes(c.what)) && secretKeyNameOnLine(lines(), n);
}

/**
 * The credentials on the lines of a multi-line string (a script in user data, a ConfigMap key, a
 * values `runners.config`), each by its shape or by the key it is assigned to, as the lines of a
 * shell script and of a Terraform heredoc are read (`lineCredential`). One pass over the string.
 */
function stringLines(v: string): { what: Shape; secret: string; inString: InString; note?: Note }[] {
  const out: { what: Shape; secret: string; inString: InString; note?: Note }[] = [];
  let all: readonly string[] | undefined;
  const lines = () => (all ??= v.split('\n'));
  for (let start = 0, n = 0; start <= v.length; n++) {
    const nl = v.indexOf('\n', start);
    const end = nl < 0 ? v.length : nl;
    const line = v.slice(start, end);
    const credentials = withoutSecretKeyNames(lineCredentials(line, true), lines, n);
    const notes = withoutSecretKeyNames(lineNotes(line, true), lines, n);
    // In the line's order: the string's places are found one after the other.
    const found: readonly { what: Shape; secret: string; index: number; end: number; key?: string; option?: true; note?: Note }[] = notes.length === 0 ? credentials : [...credentials, ...notes.map((n) => ({ what: NOTE, secret: '', index: n.index, end: n.end, key: n.key, note: { ...(n.option ? { option: n.option } : {}), ...(n.named !== undefined ? { named: n.named } : {}) } }))].sort((a, b) => a.index - b.index);
    for (const c of found) {
      const [from, to] = c.option || c.note?.option ? quotedEntry(line, c.index, c.end) : [c.index, c.end];
      out.push({ what: c.what, secret: c.secret, inString: { from: start + from, last: start + Math.max(to, from + 1) - 1, written: line.slice(from, to), ...(c.key !== undefined ? { assigned: c.key } : {}) }, ...(c.note ? { note: c.note } : {}) });
    }
    if (nl < 0) break;
    start = nl + 1;
  }
  return out;
}

/**
 * A docker-machine key option written as a quoted entry of a TOML array on a line of a string (a
 * values `runners.config`, a ConfigMap's config.toml: `MachineOptions = ["amazonec2-secret-key=…"]`,
 * or an entry on a line of its own): its span with its quotes, so the place is the entry's opening
 * quote, where a config.toml file's entry is placed (the key of an array entry is the entry itself:
 * README, "A config.toml alone") and where the checks of a config.toml alone say it. Anything else
 * (a register flag's value in a script): the option's own span.
 */
function quotedEntry(line: string, index: number, end: number): [number, number] {
  const q = line[index - 1];
  if ((q !== '"' && q !== "'") || !/(?:^|[[,])[ \t]*$/.test(line.slice(0, index - 1))) return [index, end];
  return [index - 1, line[end] === q ? end + 1 : end];
}

/**
 * findSecrets with the credential each hit found (for `fileSecretFindings` only, which drops it).
 * `tfJson`: a Terraform JSON document, where a variable's `default` counts by the variable's name.
 * A string of several lines is read line by line (`stringLines`); one without a credential on any
 * line is still one value (a multi-line value of a credential key).
 */
function scan(doc: unknown, tfJson = false, decodeJson = false, tokenAt?: TokenAt, template?: Record<string, unknown>): Scanned[] {
  const out: Scanned[] = [];
  const stack: [unknown, (string | number)[], string | undefined][] = [[doc, [], undefined]];
  while (stack.length > 0) {
    const [v, path, key] = stack.pop()!;
    if (typeof v === 'string') {
      const name = key ?? String(path[path.length - 1] ?? '');
      const inJson = decodeJson ? jsonEncoded(v) : undefined;
      if (inJson && inJson.length > 0) {
        for (let j = inJson.length - 1; j >= 0; j--) out.push({ hit: { path, key: name, what: inJson[j]!.what }, secret: inJson[j]!.secret, ...(inJson[j]!.inString ? { inString: inJson[j]!.inString } : {}) });
        continue;
      }
      const lines = v.includes('\n') ? stringLines(v) : [];
      // Pushed last first: `out` is reversed at the end into the documents' order.
      for (let j = lines.length - 1; j >= 0; j--) out.push({ hit: { path, key: name, what: lines[j]!.what }, secret: lines[j]!.secret, inString: lines[j]!.inString, ...(lines[j]!.note ? { note: lines[j]!.note } : {}) });
      if (lines.length > 0) continue;
      // A docker-machine key option (a MachineOptions entry): by its option, a placeholder as a note (RF928).
      const machine = /^-{0,2}[A-Za-z0-9]+-[A-Za-z0-9-]+=/.test(v) ? machineKey(v) : undefined;
      if (machine) {
        if (!machine.placeholder) out.push({ hit: { path, key: machine.option, what: machine.what }, secret: machine.secret! });
        else out.push({ hit: { path, key: machine.option, what: NOTE }, secret: '', note: { option: machine } });
        continue;
      }
      const env = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(v);
      const [k, value] = env ? [env[1]!, env[2]!] : [key, v];
      const found = credentialIn(value, k);
      // A file of its own kind (a state) names where a literal is a runner token by its key, whatever its shape.
      const token = !found && tokenAt ? tokenAt(path, value) : undefined;
      // A CloudFormation parameter CloudFormation is told to mask (NoEcho): its Default is a secret whatever its shape.
      const masked = !found && template ? noEchoDefault(template, path) : undefined;
      if (found) out.push({ hit: { path, key: env ? env[1]! : name, what: found.what }, secret: found.secret });
      else if (token !== undefined && !placeholderValue(value)) out.push({ hit: { path, key: name, what: runnerTokenNamed(token) }, secret: value });
      else if (masked !== undefined && !placeholderValue(value) && !/^(true|false|null|\d+)$/i.test(value.trim())) out.push({ hit: { path, key: name, what: masked }, secret: value });
      else {
        // A cloud key given a placeholder (AWS's example key, a variable's name, `changeme`): no key, but a key is what it takes (RF933).
        const named = k !== undefined && isCloudKey(k) ? notedPlaceholder(value) : undefined;
        if (named !== undefined) out.push({ hit: { path, key: env ? env[1]! : name, what: NOTE }, secret: '', note: { named } });
      }
      continue;
    }
    if (Array.isArray(v)) v.forEach((x, i) => stack.push([x, [...path, i], key]));
    else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      // Kubernetes env entries: { name: AWS_SECRET_ACCESS_KEY, value: "…" }.
      const envName = typeof o.name === 'string' && typeof o.value === 'string' ? o.name : undefined;
      // A CloudFormation parameter file's entry, as `aws cloudformation create-stack --parameters file://…`
      // and `deploy --parameter-overrides file://…` take it (aws-cli #5443, "CloudFormation format"):
      // { ParameterKey: SecretKey, ParameterValue: "…" }, its value judged by the parameter's name.
      const parameterName = typeof o.ParameterKey === 'string' && typeof o.ParameterValue === 'string' ? o.ParameterKey : undefined;
      // A short-form tag's string (`AWS_SECRET_ACCESS_KEY: !Sub "…"`, read as { Fn::Sub: "…" }): the text is the key's
      // value once CloudFormation substitutes it, so it is judged by the key the tag stands under, not by the function's name.
      const tagged = key !== undefined && Object.keys(o).length === 1 && (typeof o['Fn::Sub'] === 'string' || typeof o['Fn::Base64'] === 'string');
      // A Terraform JSON variable's default, and a CloudFormation parameter's Default, count by the variable's or parameter's name.
      const variable = (tfJson && path.length === 2 && path[0] === 'variable') || (template && path.length === 2 && path[0] === 'Parameters') ? String(path[1]) : undefined;
      // A `secret_key` beside a Secret's name (`{secret_name: pg, secret_key: password}`) names a key of that Secret: no credential.
      const keyName = typeof o[SECRET_KEY_NAME_KEY] === 'string' && secretKeyNameBeside(Object.keys(o)) && secretKeyNameValue(o[SECRET_KEY_NAME_KEY]);
      for (const [k, x] of Object.entries(o)) if (!(keyName && k === SECRET_KEY_NAME_KEY)) stack.push([x, [...path, k], k === 'value' && envName !== undefined ? envName : k === 'ParameterValue' && parameterName !== undefined ? parameterName : tagged ? key : k === (template ? 'Default' : 'default') && variable !== undefined ? variable : k]);
    }
  }
  return out.reverse();
}

/**
 * gitlab-runner's names for a runner token as a JSON document holds them (`RUNNER_TOKEN_ATTRIBUTE_NAMES`):
 * inside a JSON-encoded attribute of a state (`jsonencode`d user data or values), a literal under one
 * is a runner token whatever its shape.
 */
const JSON_TOKEN_KEYS: ReadonlySet<string> = new Set(RUNNER_TOKEN_ATTRIBUTE_NAMES);

/** What a literal under a runner token's name is, whatever its shape (a legacy registration token, an instance's own prefix). */
function runnerTokenNamed(key: string): Shape {
  // A gitlab_runner task's API credential (ansible.ts RUNNER_MODULE_TOKENS) is a GitLab access token, not the runner's.
  if (/(?:^|\.)(?:api_token|private_token|api_oauth_token|api_job_token)$/.test(key)) return { name: `a GitLab API token (${key})`, re: /./, cloud: false, needles: [] };
  return { name: `a GitLab runner token (${key})`, re: /./, cloud: false, needles: [] };
}

/**
 * What the `Default` of a CloudFormation parameter declared `NoEcho` (true, or the string "true") is
 * at `path` (`Parameters.<name>.Default`), else undefined: CloudFormation masks such a parameter's
 * value as asterisks in what it shows (CloudFormation User Guide, Parameters, "NoEcho"), because it
 * is a secret; a literal default of one is that secret, written in the template, whatever its shape.
 */
function noEchoDefault(template: Record<string, unknown>, path: readonly (string | number)[]): Shape | undefined {
  if (path.length !== 3 || path[0] !== 'Parameters' || path[2] !== 'Default') return undefined;
  const parameters = template.Parameters;
  const p = parameters !== null && typeof parameters === 'object' ? (parameters as Record<string, unknown>)[String(path[1])] : undefined;
  const noEcho = p !== null && typeof p === 'object' ? (p as Record<string, unknown>).NoEcho : undefined;
  if (noEcho !== true && noEcho !== 'true') return undefined;
  return { name: `the default of NoEcho parameter ${String(path[1]).slice(0, 80)}`, re: /./, cloud: false, needles: [] };
}

/** What a CloudFormation parameter's literal Default that is a credential takes instead. */
function parameterFix(what: Shape): string {
  return `remove the Default and revoke the ${what.cloud ? 'key' : RUNNER_TOKEN_SHAPES.includes(what) || /token/i.test(what.name) ? 'token' : 'secret'}; ${what.cloud ? 'give what uses it a keyless identity (an IAM role) instead, or ' : ''}declare the parameter NoEcho without a Default and give the value when the stack is created, or keep it in Secrets Manager and use a dynamic reference ({{resolve:secretsmanager:…}}) in the resource property that takes it`;
}

/**
 * The credentials in a string that is a JSON document itself (a state's `jsonencode`d attribute,
 * `"user_data": "{\"token\":…}"`): by the scan's rules, and a literal under a runner token's name
 * (`JSON_TOKEN_KEYS`) by that name. Each placed at its text in the string when written there as read,
 * else at the whole value. Undefined: not a JSON object or array.
 */
function jsonEncoded(v: string): { what: Shape; secret: string; inString?: InString }[] | undefined {
  if (!/^\s*[{[]/.test(v) || v.length > 1_000_000) return undefined;
  let inner: unknown;
  try {
    inner = JSON.parse(v);
  } catch {
    return undefined;
  }
  if (inner === null || typeof inner !== 'object') return undefined;
  const found: { what: Shape; secret: string; key: string }[] = scan(inner).filter((x) => !x.note).map((x) => ({ what: x.hit.what, secret: x.secret, key: x.hit.key }));
  const stack: [unknown, string | undefined][] = [[inner, undefined]];
  while (stack.length > 0) {
    const [x, key] = stack.pop()!;
    if (typeof x === 'string') {
      if (key !== undefined && JSON_TOKEN_KEYS.has(key) && !placeholderValue(x) && !found.some((f) => f.secret === x || x.includes(f.secret))) found.push({ what: runnerTokenNamed(key), secret: x, key });
    } else if (Array.isArray(x)) x.forEach((y) => stack.push([y, key]));
    else if (x !== null && typeof x === 'object') for (const [k, y] of Object.entries(x)) stack.push([y, k]);
  }
  let cursor = 0;
  const placed = found
    .map((f) => {
      const written = JSON.stringify(f.secret).slice(1, -1);
      return { ...f, written, from: v.indexOf(written) };
    })
    .sort((a, b) => a.from - b.from);
  return placed.map((f) => {
    const from = f.from < cursor ? v.indexOf(f.written, cursor) : f.from;
    if (from < 0 || f.written === '') return { what: f.what, secret: f.secret };
    cursor = from + f.written.length;
    return { what: f.what, secret: f.secret, inString: { from, last: cursor - 1, written: f.written, assigned: f.key } };
  });
}

/** The resource argument a path of a Terraform configuration is in (`resource.aws_instance.ci.user_data…` → `aws_instance.ci.user_data`). */
function argumentOf(path: readonly (string | number)[]): { of: string } | Record<string, never> {
  return path[0] === 'resource' && path.length >= 4 ? { of: `${String(path[1])}.${String(path[2])}.${String(path[3])}` } : {};
}

/** Where in a Terraform configuration a credential is written, for what its fix says. */
type TerraformPlace = 'provider' | 'backend' | 'variable' | undefined;

/** The Terraform place of a path in a `.tf.json` document or of the blocks around an HCL value (`provider`, `terraform` > `backend`, `variable`). */
function terraformPlace(path: readonly (string | number)[]): TerraformPlace {
  if (path[0] === 'provider') return 'provider';
  if (path[0] === 'terraform' && path.includes('backend')) return 'backend';
  if (path[0] === 'variable') return 'variable';
  return undefined;
}

/**
 * A path of a `.tf.json` document as the HCL scan names a value (`provider.aws.access_key`,
 * `resource.<type>.<name>.<argument>…`), a list item by its index (`provider.aws[0].access_key`):
 * the last key alone names no place a user can find.
 */
function terraformName(path: readonly (string | number)[]): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}

const CLOUD_FIX = 'remove the key and revoke it; give the runner a keyless identity (instance profile, IRSA, Pod Identity, workload identity) instead';
const TOKEN_FIX = 'remove the token from the file and revoke it; keep runner tokens in a Secret or a SecureString parameter and reference them';
/**
 * A private key (an SSH or TLS key's PEM block) is no token to revoke in GitLab: it is replaced, and
 * where it is trusted (the public key in authorized_keys, a cloud key pair, a certificate) the old
 * one is removed, since the repository's history keeps the one written. Where it lives instead: made
 * where it is used, or read from a secret store when it is needed.
 */
const PRIVATE_KEY_FIX = 'remove the private key from the repository and replace it: make a new key pair and remove the old public key (or certificate) wherever it is trusted (authorized_keys, the cloud key pair, the TLS endpoint), since the history keeps the one written here; keep the new key out of the repository: make it where it is used (ssh-keygen on the host, tls_private_key in Terraform) or read it when needed from a secret store (a Kubernetes Secret, AWS Secrets Manager or an SSM SecureString parameter, Azure Key Vault, a CI file variable)';

/**
 * The fix for a token (or another secret that is no cloud key) written in an Ansible file (a vars
 * file, a playbook or task file), the Ansible way: encrypt it with Ansible Vault, one value
 * (`ansible-vault encrypt_string --name <variable>`, a `!vault` value in its place) or the whole vars
 * file (`ansible-vault encrypt`), or read it when the play runs from the environment
 * (`lookup('ansible.builtin.env', …)`); then the value the file's history keeps is revoked
 * (docs.ansible.com: ansible-vault CLI, encrypt_string with -n/--name; the env lookup plugin).
 */
export function ansibleTokenFix(what: Shape, key: string | undefined): string {
  const noun = /token/i.test(what.name) ? 'token' : 'secret';
  const last = key?.split('.').pop();
  const given = last !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(last) ? last : undefined;
  // Written inside a command or another text: a variable of the play's own takes its place.
  const variable = given ?? (/runner/i.test(what.name) ? 'runner_token' : /private key/.test(what.name) ? 'private_key' : noun === 'token' ? 'gitlab_token' : 'secret_value');
  const instead = given === undefined ? `write "{{ ${variable} }}" in its place and give ${variable} ` : '';
  return `keep the ${noun} out of the file in clear: ${instead}${instead ? 'from' : 'encrypt it with'} Ansible Vault (\`ansible-vault encrypt_string --name ${variable}\`, its !vault output in place of the value, or the whole vars file with \`ansible-vault encrypt\`), or read it when the play runs ("{{ lookup('ansible.builtin.env', '${variable.toUpperCase()}') }}", set from the CI's masked variables); then rotate it: the ${noun} written here stays in the repository's history, so revoke it and use a new one`;
}

/** Whether the string at `path` of `doc` is the credential `secret` and nothing else (a variable's or a parameter's value, not a command holding it). */
function wholeValue(doc: unknown, path: readonly (string | number)[], secret: string): boolean {
  let v: unknown = doc;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined;
  return typeof v === 'string' && v.trim() === secret;
}

/** The fix for a docker-machine key option's credential, by the option's name; undefined for any other key. */
function machineFix(key: string | undefined): string | undefined {
  const o = key !== undefined ? MACHINE_KEY_OPTIONS.get(key) : undefined;
  return o ? machineKeyFix(key!, o.cloud) : undefined;
}

function fixOf(what: Shape, place: TerraformPlace): string {
  if (what === PRIVATE_KEY) return place === 'variable' ? `remove the default; declare the variable sensitive = true without a default and feed it from a secret store (TF_VAR_<name> from the CI's masked variables, or a data source such as aws_secretsmanager_secret_version); ${PRIVATE_KEY_FIX}` : PRIVATE_KEY_FIX;
  if (place === 'variable') return `remove the default and revoke the ${what.cloud ? 'key' : 'token'}; ${what.cloud ? 'give what uses it a keyless identity instead, or ' : ''}declare the variable sensitive = true without a default and feed it from a secret store (TF_VAR_<name> from the CI's masked variables, or a data source such as aws_ssm_parameter)`;
  if (!what.cloud) return TOKEN_FIX;
  if (place === 'provider') return "remove the key from the provider block and revoke it; let the provider take the identity of where Terraform runs (an instance profile, IRSA or the CI job's OIDC role; azurerm: use_oidc or use_msi), or name a role in assume_role";
  if (place === 'backend') return "remove the key from the backend block and revoke it; give the backend its credentials from the environment Terraform runs in (AWS_PROFILE, the CI job's OIDC role) or its assume_role block (azurerm: use_oidc or use_msi)";
  return CLOUD_FIX;
}

/** One credential found at one place of a file; `secret` tells copies apart and is dropped with the hit. */
interface PlacedHit {
  key: string;
  what: Shape;
  secret: string;
  place: SecretPlace;
  fix: string;
}

/**
 * One RF940 per credential per file: at its first place, the other places listed in the message
 * and kept with the finding (its subject), so a more specific finding about any copy (RF940 of chart values, RF912)
 * can stand for them all (`withoutSecretDuplicates`). The message and fix are the first hit's.
 */
function oneFindingPerCredential<H extends PlacedHit>(hits: readonly H[], message: (h: H) => string): Finding[] {
  const groups = new Map<string, { hit: H; places: SecretPlace[] }>();
  for (const hit of hits) {
    const g = groups.get(hit.secret);
    if (g) g.places.push(hit.place);
    else groups.set(hit.secret, { hit, places: [hit.place] });
  }
  const before = (a: SecretPlace, b: SecretPlace): number => a.line - b.line || a.column - b.column;
  return [...groups.values()]
    .map((g) => ({ ...g, places: g.places.sort(before) }))
    .sort((a, b) => before(a.places[0]!, b.places[0]!))
    .map(({ hit: h, places }) => ({
      code: 'RF940',
      severity: CODES.RF940.severity,
      path: formatPosition(places[0]!),
      message: `${message(h)}${alsoAt(places.slice(1))}`,
      fix: h.fix,
      subject: { kind: 'secret' as const, places, ...(h.what.cloud ? { cloud: true as const } : {}) },
    }));
}

/** How a kind of file of its own (a Terraform state) names the place of a hit, and what its fix says. */
export interface NamedHits {
  keyOf: (path: readonly (string | number)[]) => string;
  fix: string;
  /** Strings that are JSON documents (a state's `jsonencode`d attributes) are read as such (`jsonEncoded`). */
  decodeJson?: true;
  /** The runner token name a string at `path` is given to (`RUNNER_TOKEN_ATTRIBUTE_NAMES`), by the file's own structure: a literal there that is no placeholder is a runner token whatever its shape. */
  tokenAt?: TokenAt;
}

/** The name a literal at `path` is a runner token by (whatever its shape), given the literal (`value`, to tell a value filled in later): undefined where none. */
export type TokenAt = (path: readonly (string | number)[], value: string) => string | undefined;

/**
 * Findings for credentials written in a file (RF940), over all its documents: one per credential,
 * at its first place, where the same value is written more than once (a plan holds each value
 * in `planned_values` and again in `resource_changes[].change`): the other places are listed in
 * the message, since each copy has to go, and kept with the finding (its subject) so a more specific
 * finding about any copy (RF940 of chart values, RF912) can stand for them all (`withoutSecretDuplicates`).
 * Copies are told apart by their text inside this call only; the text is not kept. `tfJson`: a
 * Terraform JSON file (a variable's default counts by the variable's name; the fix says what the
 * provider, backend or variable takes instead). `named`: the file's own names and fix (a state's resource addresses).
 */
export function fileSecretFindings(source: SourceFile, docs: readonly unknown[], tfJson = false, named?: NamedHits, tokenAt?: TokenAt, ansible = false): Finding[] {
  const hits: PlacedHit[] = [];
  const notes: NotedHit[] = [];
  docs.forEach((doc, i) => {
    // A CloudFormation template: its parameters' defaults are read by the parameter (`scan`) and named by their path.
    const template = !tfJson && !named && cloudFormationTypes(doc) !== undefined ? (doc as Record<string, unknown>) : undefined;
    const found = scan(doc, tfJson, named?.decodeJson === true, named?.tokenAt ?? tokenAt, template);
    for (let j = 0; j < found.length; ) {
      // The hits of one multi-line string are placed together, in one pass over its text.
      let k = j + 1;
      while (found[j]!.inString && k < found.length && found[k]!.hit.path === found[j]!.hit.path) k++;
      const group = found.slice(j, k);
      const at = source.locate(i, group[0]!.hit.path);
      const path0 = group[0]!.hit.path;
      const places = group[0]!.inString ? placesInString(source, at, group.map((g) => g.inString!), typeof path0[path0.length - 1] === 'number') : [extent(source, at)];
      group.forEach(({ hit, secret, inString, note }, n) => {
        const path = inString?.assigned !== undefined ? [...hit.path, inString.assigned] : hit.path;
        // A CloudFormation parameter's Default: named by its path (`Parameters.RunnerToken.Default`), not by the parameter alone.
        const parameter = template !== undefined && inString === undefined && hit.path.length === 3 && hit.path[0] === 'Parameters' && hit.path[2] === 'Default';
        if (note) {
          const ownKey = inString?.assigned ?? hit.key;
          notes.push({ key: note.option ? ownKey : named ? named.keyOf(path) : tfJson || parameter ? terraformName(path) : ownKey, note, place: places[n]! });
          return;
        }
        // A cloud key is RF940 whatever else is said about the document around it (as in a heredoc).
        const { within, ...own } = places[n]!;
        const placed = { ...own, ...(tfJson ? argumentOf(hit.path) : {}) };
        const key = named ? named.keyOf(path) : tfJson || parameter ? terraformName(path) : hit.key;
        hits.push({ key, what: hit.what, secret, place: within && !hit.what.cloud ? { ...placed, within } : placed, fix: named ? named.fix : parameter ? parameterFix(hit.what) : ansible && !hit.what.cloud ? ansibleTokenFix(hit.what, inString === undefined && wholeValue(doc, hit.path, secret) ? key : undefined) : (machineFix(inString?.assigned ?? hit.key) ?? fixOf(hit.what, tfJson ? terraformPlace(hit.path) : undefined)) });
      });
      j = k;
    }
  });
  return [...oneFindingPerCredential(hits, (h) => `${h.what.name} is written in ${source.path} at ${h.key} (value not shown)`), ...noteFindings(source.path, notes)];
}

/** A note (`Note`) at its place in a file. */
interface NotedHit {
  key: string;
  note: Note;
  place: SecretPlace;
}

/**
 * RF928 for a docker-machine key option set to a placeholder, RF933 for a cloud credential key set to
 * a placeholder (`notedPlaceholder`): one per place, in the file's order. Neither writes a key,
 * so neither is an error; both say the setting takes a static key, which a keyless identity replaces.
 */
/**
 * What a placeholder is called in RF933. A variable's name in a TOML file (a config.toml) is a
 * placeholder: gitlab-runner reads the string as written there and expands no variable in it, so
 * "the name of an environment variable" would suggest it is filled in from one.
 */
function namedAs(file: string, named: string | undefined): string {
  if (named === 'the name of an environment variable' && /\.toml$/i.test(file)) return "a placeholder (it reads like an environment variable's name, which gitlab-runner does not expand here)";
  return named ?? 'a placeholder';
}

function noteFindings(file: string, notes: readonly NotedHit[]): Finding[] {
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const { key, note, place } of [...notes].sort((a, b) => a.place.line - b.place.line || a.place.column - b.place.column)) {
    const path = formatPosition(place);
    if (seen.has(path)) continue;
    seen.add(path);
    if (note.option) {
      out.push({ code: 'RF928', severity: CODES.RF928.severity, path, message: `${file} sets docker-machine's ${key} option to a placeholder or a variable, not a key (value not shown): whatever fills it in hands docker-machine a static key that never expires`, fix: machineKeyFix(key, note.option.cloud, true) });
    } else {
      out.push({ code: 'RF933', severity: CODES.RF933.severity, path, message: `${file} sets ${key} to ${namedAs(file, note.named)}, not a key (value not shown, no RF940): no key is written here, but ${key} takes a static cloud key, and whatever fills it in is a key that never expires`, fix: NAMED_FIX });
    }
  }
  return out;
}

const NAMED_FIX = 'remove the key setting rather than fill it in; give what uses it a keyless identity (an instance profile, IRSA, Pod Identity, workload identity; a runner cache: AuthenticationType = "iam" in [runners.cache.s3]); where a store takes only keys (MinIO), keep them in a Secret or a secret store and reference them';

/** The other places of the same value, for a message ('' when there are none); at most five named. */
export function alsoAt(places: readonly SecretPlace[]): string {
  if (places.length === 0) return '';
  const named = places.slice(0, 5).map((p) => formatPosition(p));
  return `; the same value is also written at ${named.join(', ')}${places.length > 5 ? ` and ${places.length - 5} more places` : ''}`;
}

/**
 * Where the value that starts at `at` ends in `source`: a quoted string (JSON, YAML) at its closing
 * quote, a YAML block scalar (`|`, `>`) at its last more-indented line, anything else at its line's
 * end. Reads only the value's own text: the file's line starts are found once (`offsetOf`).
 */
function extent(source: SourceFile, at: Position): SecretPlace {
  const text = source.text;
  const lineStart = source.offsetOf({ line: at.line, column: 1 });
  const off = lineStart + at.column - 1;
  const lineEnd = (from: number): number => {
    const nl = text.indexOf('\n', from);
    return nl < 0 ? text.length : nl;
  };
  let end = lineEnd(off) - 1;
  const q = text[off];
  if (q === '"' || q === "'") {
    for (let i = off + 1; i < text.length; i++) {
      if (q === '"' && text[i] === '\\') i++;
      else if (text[i] === q) {
        if (q === "'" && text[i + 1] === "'") i++;
        else {
          end = i;
          break;
        }
      }
    }
  } else if (q === '|' || q === '>') {
    const indent = (from: number): number => /^[ ]*/.exec(text.slice(from, lineEnd(from)))![0].length;
    const own = indent(lineStart);
    for (let from = lineEnd(off) + 1; from > 0 && from < text.length; from = lineEnd(from) + 1) {
      const body = text.slice(from, lineEnd(from));
      if (body.trim() !== '' && indent(from) <= own) break;
      if (body.trim() !== '') end = lineEnd(from) - 1;
    }
  }
  return placeOf(source, off, end, at);
}

/**
 * The places of credentials on the lines of the multi-line string whose value starts at `at`: a JSON
 * string's characters by its escapes (`inJsonStringAll`); a YAML block or quoted string, or a TOML
 * string, by finding each credential's text in the string's own text, in order (a line YAML folded
 * or an escape inside the credential's text: the whole value's place). Each place keeps the whole
 * value's (`within`): a finding at a key of a document in that string (RF940 at a values string's
 * `token`) stands for a token on its line. One pass over the string's text.
 */
function placesInString(source: SourceFile, at: Position, spans: readonly InString[], entry = false): SecretPlace[] {
  const text = source.text;
  const open = source.offsetOf(at);
  let whole = extent(source, at);
  let from = open;
  let to = source.offsetOf({ line: whole.endLine, column: whole.endColumn });
  if (source.syntax === 'toml') {
    // `at` is the key: the string is after its `=`; or an array's entry: the string starts there. To its closing delimiter (`"""`, `'''`), else to the line's end.
    const lineEnd = text.indexOf('\n', open) >>> 0;
    const m = (entry ? /^("""|'''|"|')/ : /=[ \t]*("""|'''|"|')/).exec(text.slice(open, Math.min(lineEnd, text.length)));
    if (m) {
      from = open + m.index + m[0].length;
      const close = m[1]!.length === 3 ? text.indexOf(m[1]!, from) : -1;
      to = close < 0 ? Math.min(lineEnd, text.length) - 1 : close + 2;
      whole = placeOf(source, open, to, at);
    }
  }
  const within = { line: whole.line, column: whole.column, endLine: whole.endLine, endColumn: whole.endColumn };
  if (source.syntax === 'json' && text[open] === '"') {
    const ends = source.inJsonStringAll(at, spans.flatMap((s) => [s.from, s.last]));
    return spans.map((_, n) => {
      const [a, b] = [ends[2 * n]!, ends[2 * n + 1]!];
      return { file: a.file, line: a.line, column: a.column, endLine: b.line, endColumn: b.column, within };
    });
  }
  const written = text.slice(from, to + 1);
  let cursor = 0;
  return spans.map((s) => {
    const found = cursor < 0 ? -1 : written.indexOf(s.written, cursor);
    if (found < 0) {
      // Not written as read (folded, escaped): the rest are placed at the whole value, without a search each.
      cursor = -1;
      return { ...whole, within };
    }
    cursor = found + s.written.length;
    return { ...placeOf(source, from + found, from + cursor - 1), within };
  });
}

/** What turns an offset of a file into its position (a SourceFile; a text file's LineIndex). */
interface Positions {
  offsetPosition(offset: number): Position;
}

/** The place from offset `from` to offset `last` (its last character), by the file's line starts. */
function placeOf(source: Positions, from: number, last: number, at: Position = source.offsetPosition(from)): SecretPlace {
  const e = source.offsetPosition(Math.max(last, from));
  return { file: at.file, line: at.line, column: at.column, endLine: e.line, endColumn: Math.max(e.column, 1) };
}

/** Shell scripts and other text: credential shapes line by line, one finding per credential. */
export function textSecretFindings(path: string, text: string): Finding[] {
  const lines = new LineIndex(text);
  const source: Positions = { offsetPosition: (o) => ({ file: path, ...lines.pos(o) }) };
  const hits: (PlacedHit & { assigned: boolean })[] = [];
  const notes: NotedHit[] = [];
  let offset = 0;
  const all = text.split('\n');
  for (let n = 0; n < all.length; n++) {
    const line = all[n]!;
    const found = withoutSecretKeyNames(lineCredentials(line, false), () => all, n);
    for (const c of found) {
      // A docker-machine key option (`--machine-machine-options amazonec2-secret-key=…`) is placed at the option and named by it;
      // one written as a quoted entry of a TOML array (a config.toml in a heredoc of the script:
      // `MachineOptions = [\n  "amazonec2-secret-key=…",`) at the entry's opening quote, as in a .tf heredoc (hclSecretFindings).
      // The first assignment of a line at the line (its `export`), any after it at its key.
      const assigned = c.key !== undefined && !SHAPES.includes(c.what) && c.option !== true;
      const from = assigned && c === found.find((x) => x.key !== undefined && !SHAPES.includes(x.what) && x.option !== true) && line.slice(0, c.index).trim() === 'export' ? 0 : c.index;
      const [start, end] = c.option ? quotedEntry(line, c.index, c.end) : [assigned ? from : c.index, c.end];
      hits.push({ key: c.key ?? '', what: c.what, secret: c.secret, assigned, place: placeOf(source, offset + start, offset + end - 1), fix: machineFix(c.option ? c.key : undefined) ?? (c.what === PRIVATE_KEY ? PRIVATE_KEY_FIX : assigned ? 'remove it and revoke it; use a keyless identity' : 'remove it and revoke it; read credentials at run time from a keyless identity or a parameter') });
    }
    for (const x of withoutSecretKeyNames(lineNotes(line, false), () => all, n)) {
      const [start, end] = x.option ? quotedEntry(line, x.index, x.end) : [x.index, x.end];
      notes.push({ key: x.key, note: { ...(x.option ? { option: x.option } : {}), ...(x.named !== undefined ? { named: x.named } : {}) }, place: placeOf(source, offset + start, offset + end - 1) });
    }
    offset += line.length + 1;
  }
  return [...oneFindingPerCredential(hits, (h) => (h.assigned ? `a static credential is assigned to ${h.key} in ${path} (value not shown)` : `${h.what.name} is written in ${path}${MACHINE_KEY_OPTIONS.has(h.key) ? ` at ${h.key}` : ''} (value not shown)`)), ...noteFindings(path, notes)];
}

/**
 * Terraform HCL (`.tf`): the literal values of a parsed file, with the shapes and credential key
 * names of the other files, each at the exact place of its value (a quoted string from quote to
 * quote, a heredoc's line from its key or the credential). A reference (`var.x`, `data.…`) or an
 * interpolation is not a literal; a variable's `default` counts by the variable's name. One
 * finding per credential per file; the fix says what a provider, a backend or a variable takes
 * instead. The values are looked at inside this call only.
 */
export function hclSecretFindings(source: SourceFile, body: Body): Finding[] {
  const text = source.text;
  const hits: PlacedHit[] = [];
  const notes: NotedHit[] = [];
  const name = (path: readonly string[]) => path.join('.');
  // The heredoc the value being scanned is written in (an interpolation's string too): a runner token
  // there is part of a values or config document, and RF940/RF912 at that document stand for it.
  let heredoc: SecretPlace['within'];
  // Whether the value being scanned is a `secret_key`'s beside a Secret's name (`secretKeyNameBeside`):
  // a literal there that is a key's name (`secretKeyNameValue`) names a key of that Secret, no credential.
  let secretKeyName = false;
  const add = (what: Shape, secret: string, key: string, path: readonly string[], at: SecretPlace) => {
    const place = { ...at, ...argumentOf(path) };
    hits.push({ key: name(path) || key, what, secret, place: heredoc && !what.cloud ? { ...place, within: heredoc } : place, fix: machineFix(path[path.length - 1]) ?? fixOf(what, terraformPlace(path)) });
  };
  const literal = (e: Expr): string | undefined => (e.k === 'tpl' && e.parts.every((p) => typeof p === 'string') ? e.parts.join('') : undefined);
  // An object's key: a string, or a bare name (`AWS_ACCESS_KEY_ID = …`).
  const keyOf = (e: Expr): string | undefined => (e.k === 'var' ? e.name : literal(e));

  const template = (e: Expr & { k: 'tpl' }, key: string | undefined, path: string[]): void => {
    const outer = heredoc;
    if (text.startsWith('<<', e.at)) {
      // A heredoc (user data, a values or config.toml document): line by line, as written (no escapes).
      // Its interpolations are scanned as the expressions they are, below, and blanked here (offsets
      // kept): a string in `${"…"}` is one value, found once.
      const from = text.indexOf('\n', e.at) + 1;
      const to = text.lastIndexOf('\n', e.end - 1);
      const { line, column, endLine, endColumn } = placeOf(source, e.at, e.end - 1);
      heredoc ??= { line, column, endLine, endColumn };
      let written = '';
      let upTo = from;
      // Inside directives too: their texts are lines of the heredoc, their tags are scanned as written.
      for (const part of interpolations(e.parts)) {
        if (part.at < upTo) continue;
        written += text.slice(upTo, part.at) + text.slice(part.at, part.end).replace(/[^\n]/g, ' ');
        upTo = part.end;
      }
      written += text.slice(upTo, to);
      let all: readonly string[] | undefined;
      const lines = () => (all ??= written.split('\n'));
      for (let at = from, n = 0; at > 0 && at < to; n++) {
        const nl = text.indexOf('\n', at);
        const lineEnd = nl < 0 || nl > to ? to : nl;
        const line = written.slice(at - from, lineEnd - from);
        // A docker-machine key option written as a quoted entry of a TOML array (a config.toml in the
        // heredoc: `MachineOptions = [\n  "amazonec2-secret-key=…",`) at the entry's opening quote, as
        // the lines of a YAML or JSON string are (stringLines); a register flag's value at the option.
        const span = (c: { index: number; end: number; option?: unknown }): [number, number] => (c.option ? quotedEntry(line, c.index, c.end) : [c.index, c.end]);
        for (const c of withoutSecretKeyNames(lineCredentials(line, true), lines, n)) {
          const [f, t] = span(c);
          add(c.what, c.secret, c.key ?? key ?? '', c.key !== undefined ? [...path, c.key] : path, placeOf(source, at + f, at + t - 1));
        }
        for (const x of withoutSecretKeyNames(lineNotes(line, true), lines, n)) {
          const [f, t] = span(x);
          notes.push({ key: x.option ? x.key : name([...path, x.key]), note: { ...(x.option ? { option: x.option } : {}), ...(x.named !== undefined ? { named: x.named } : {}) }, place: placeOf(source, at + f, at + t - 1) });
        }
        at = lineEnd + 1;
      }
    } else {
      const whole = literal(e);
      if (whole !== undefined && secretKeyName && key === SECRET_KEY_NAME_KEY && secretKeyNameValue(whole)) return;
      const found = whole !== undefined ? credentialIn(whole, key) : undefined;
      const place = () => placeOf(source, e.at, e.end - 1);
      const machine = whole !== undefined && !found && /^-{0,2}[A-Za-z0-9]+-[A-Za-z0-9-]+=/.test(whole) ? machineKey(whole) : undefined;
      const named = whole !== undefined && !found && key !== undefined && isCloudKey(key) ? notedPlaceholder(whole) : undefined;
      if (machine?.placeholder) notes.push({ key: machine.option, note: { option: machine }, place: place() });
      else if (named !== undefined) notes.push({ key: name(path) || key!, note: { named }, place: place() });
      if (found) add(found.what, found.secret, key ?? '', path, place());
      else {
        // Literal text around interpolations, and the lines of a string written with \n (user data).
        for (const part of e.parts) {
          if (typeof part !== 'string') continue;
          const lines = part.split('\n');
          for (let n = 0; n < lines.length; n++) {
            const c = withoutSecretKeyNames(lineCredentials(lines[n]!, true), () => lines, n)[0];
            if (c) add(c.what, c.secret, c.key ?? key ?? '', c.key !== undefined ? [...path, c.key] : path, place());
          }
        }
      }
    }
    for (const part of e.parts) if (typeof part !== 'string') value(part, key, path);
    heredoc = outer;
  };

  // The text of a directive (`%{if}…%{endif}`): in a heredoc its lines were scanned with the heredoc's, so only
  // its interpolations are left; elsewhere it is scanned as the template text it is.
  const directiveText = (e: Expr & { k: 'tpl' }, key: string | undefined, path: string[]): void => {
    if (!heredoc) return template(e, key, path);
    for (const part of e.parts) if (typeof part !== 'string') value(part, key, path);
  };

  const value = (e: Expr, key: string | undefined, path: string[]): void => {
    switch (e.k) {
      case 'tpl':
        template(e, key, path);
        return;
      case 'object': {
        // An env entry written as an object (`{ name = "REGISTRATION_TOKEN", value = "…" }` in a jsonencode'd ECS container definition): its value counts by the name.
        const nameItem = e.items.find((item) => keyOf(item.key) === 'name');
        const envName = nameItem ? literal(nameItem.value) : undefined;
        const keys = e.items.map((item) => keyOf(item.key)).filter((k): k is string => k !== undefined);
        const beside = keys.includes(SECRET_KEY_NAME_KEY) && secretKeyNameBeside(keys);
        const outer = secretKeyName;
        for (const item of e.items) {
          const k = keyOf(item.key);
          secretKeyName = beside && k === SECRET_KEY_NAME_KEY;
          value(item.value, k === 'value' && envName !== undefined ? envName : (k ?? key), k !== undefined ? [...path, k] : path);
        }
        secretKeyName = outer;
        return;
      }
      case 'tuple':
        for (const x of e.items) value(x, key, path);
        return;
      case 'call':
        for (const x of e.args) value(x, key, path);
        return;
      case 'cond':
        value(e.then, key, path);
        value(e.else, key, path);
        return;
      case 'bin':
        value(e.l, key, path);
        value(e.r, key, path);
        return;
      case 'paren':
      case 'un':
        value(e.x, key, path);
        return;
      case 'for':
        value(e.valExpr, key, path);
        return;
      case 'tif':
        value(e.cond, key, path);
        directiveText(e.then, key, path);
        if (e.else) directiveText(e.else, key, path);
        return;
      case 'tfor':
        value(e.coll, key, path);
        directiveText(e.body, key, path);
        return;
      case 'var':
      case 'attr':
      case 'index':
      case 'splat':
      case 'lit':
      case 'json':
        // References, numbers, booleans: nothing written literally (`json` is `.tf.json`'s, scanned as JSON).
        return;
    }
  };

  const walk = (b: Body, path: string[]): void => {
    // Kubernetes env blocks: env { name = "AWS_SECRET_ACCESS_KEY"  value = "…" }.
    const nameAttr = b.attrs.find((a) => a.name === 'name');
    const envName = nameAttr ? literal(nameAttr.expr) : undefined;
    const beside = b.attrs.some((a) => a.name === SECRET_KEY_NAME_KEY) && secretKeyNameBeside(b.attrs.map((a) => a.name));
    for (const a of b.attrs) {
      const key = a.name === 'value' && envName !== undefined ? envName : a.name === 'default' && path[0] === 'variable' && path.length === 2 ? path[1]! : a.name;
      secretKeyName = beside && a.name === SECRET_KEY_NAME_KEY;
      value(a.expr, key, [...path, a.name]);
    }
    secretKeyName = false;
    for (const block of b.blocks) walk(block.body, [...path, block.type, ...block.labels]);
  };
  walk(body, []);
  return [...oneFindingPerCredential(hits, (h) => `${h.what.name} is written in ${source.path} at ${h.key} (value not shown)`), ...noteFindings(source.path, notes)];
}

function decode(b64: string): string {
  try {
    return Buffer.from(b64, 'base64').toString('utf8');
  } catch {
    return '';
  }
}

/**
 * A Kubernetes Secret: its values are decoded only to detect static cloud keys (RF941) and
 * registration tokens (RF912), then removed from the object, so nothing downstream (proofs,
 * --json, SARIF) ever holds them. Runner authentication tokens in a Secret are where they belong.
 */
export function scrubSecret(obj: Record<string, unknown>, at: (path: (string | number)[]) => string): Finding[] {
  const out: Finding[] = [];
  const meta = obj.metadata as { name?: string; namespace?: string } | undefined;
  const label = `Secret ${meta?.namespace ? `${meta.namespace}/` : ''}${meta?.name ?? ''}`;
  for (const field of ['data', 'stringData'] as const) {
    const values = obj[field];
    if (values === null || typeof values !== 'object' || Array.isArray(values)) continue;
    for (const [k, raw] of Object.entries(values as Record<string, unknown>)) {
      if (typeof raw !== 'string') continue;
      // The decoded value lives only inside this call.
      const what = classify(field === 'data' ? decode(raw) : raw, k);
      if (what?.cloud) {
        out.push({ code: 'RF941', severity: CODES.RF941.severity, path: at([field, k]), message: `${label} holds ${what.name} under key ${k}: a static cloud credential that never expires, where a keyless identity would do (value not shown)`, fix: 'revoke the key, delete it from the Secret, and bind the runner to a role (IRSA, Pod Identity, workload identity)' });
      } else if (what?.name === 'a GitLab runner registration token') {
        out.push({ code: 'RF912', severity: CODES.RF912.severity, path: at([field, k]), message: `${label} holds a runner registration token under key ${k} (value not shown): registration tokens are deprecated by GitLab (off by default since GitLab 17.0, removal scheduled for 20.0)`, fix: 'create the runner in GitLab (POST /user/runners) and store its glrt- authentication token instead' });
      }
    }
    // Metadata only from here on: the keys stay (references to them are checked), the values go.
    obj[field] = Object.fromEntries(Object.keys(values).map((k) => [k, '']));
  }
  return out;
}
