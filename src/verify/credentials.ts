import { trimEndAny } from '../model/trim.js';
/**
 * What a static credential looks like, in a value or on a line of a script, template or heredoc:
 * the one set of rules the doctor's credential scan (doctor/secrets.ts), plan's scan of every
 * generated artifact (verify/secrets.ts, RF304) and plan's checks of user data and token parameters
 * (platforms/aws-vm/common.ts) read. Values are looked at only to decide; nothing here keeps or
 * prints them.
 */

export interface Shape {
  name: string;
  re: RegExp;
  /** A cloud credential (AWS, Azure): the keyless identity should replace it, even inside a Secret. */
  cloud: boolean;
  /**
   * Substrings every match of `re` contains, without spaces (so a YAML line fold cannot split them):
   * a text holding none of them needs no walk for this shape.
   */
  needles: readonly string[];
}

// A value that is its prefix and one character over and over (`glrt-XXXXXXXXXXXXXXXXXXXX` in a sample,
// `AKIAXXXXXXXXXXXXXXXX`) is a placeholder: the services issue random tokens, so none is ever one character repeated.
export const SHAPES: readonly Shape[] = [
  // AWS's documentation writes its example key ids with EXAMPLE at the end (AKIAIOSFODNN7EXAMPLE): no key.
  { name: 'an AWS access key id', re: /\b(AKIA|ASIA|ABIA|ACCA)(?!([0-9A-Z])\2{15}\b)(?![0-9A-Z]{9}EXAMPLE\b)[0-9A-Z]{16}\b/, cloud: true, needles: ['AKIA', 'ASIA', 'ABIA', 'ACCA'] },
  { name: 'an Azure storage account key', re: /AccountKey=[A-Za-z0-9+/]{40,}={0,2}/, cloud: true, needles: ['AccountKey='] },
  // Azure AD (Entra ID) client secrets: three characters, a digit, `Q~`, then 31 or more.
  { name: 'an Azure client secret', re: /(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,}/, cloud: true, needles: ['Q~'] },
  { name: 'a GitLab runner authentication token', re: /\bglrt-(?!([0-9A-Za-z_-])\1*(?![0-9A-Za-z_-]))[0-9A-Za-z_-]{10,}/, cloud: false, needles: ['glrt-'] },
  { name: 'a GitLab runner registration token', re: /\bGR1348941(?!([0-9A-Za-z_-])\1*(?![0-9A-Za-z_-]))[0-9A-Za-z_-]{10,}/, cloud: false, needles: ['GR1348941'] },
  { name: 'a GitLab personal access token', re: /\bglpat-(?!([0-9A-Za-z_-])\1*(?![0-9A-Za-z_-]))[0-9A-Za-z_-]{10,}/, cloud: false, needles: ['glpat-'] },
  { name: 'a private key', re: /-----BEGIN [A-Z ]*PRIVATE KEY-----/, cloud: false, needles: ['-----BEGIN'] },
];

/** The shape of a private key (a PEM block's header). */
export const PRIVATE_KEY: Shape = SHAPES.find((s) => s.name === 'a private key')!;

/**
 * Whether the PEM block that begins on line `n` (`-----BEGIN … PRIVATE KEY-----`) ends within 100
 * lines (`-----END`) and has nothing but placeholders between: lines of dots or of one character
 * over and over, `xxxx`, `<your key here>`, `...` (`placeholderWord`). A key is base64 of random
 * bytes: no line of an issued key is one of these, so the block only shows where a key goes (public
 * zeropsio/gitlab-runners: `SSH_KEY: |` with four lines of dots). A block whose END is not found
 * (a key in one line, `\n` escaped) stays a key.
 */
export function placeholderKeyBlock(lines: readonly string[], n: number): boolean {
  const begin = lines[n]!;
  const header = PRIVATE_KEY.re.exec(begin);
  if (!header || trimEndAny(begin.slice(header.index + header[0].length), `"',\\`).trim() !== '') return false;
  let body = 0;
  for (let i = n + 1; i < lines.length && i <= n + 100; i++) {
    const trimmed = lines[i]!.trim();
    // One opening quote off, then the run of closing quotes and commas (what /^["']|["',]+$/g removed).
    const line = trimEndAny(trimmed.startsWith('"') || trimmed.startsWith("'") ? trimmed.slice(1) : trimmed, `"',`).trim();
    if (line.includes('-----END')) return body > 0;
    if (line === '') continue;
    if (!placeholderWord(line) && !/^(?:\.{3}|\u2026)+$/.test(line)) return false;
    body++;
  }
  return false;
}

/** The shapes of GitLab runner tokens: a runner authentication token (`glrt-`) and a registration token (`GR1348941`). */
export const RUNNER_TOKEN_SHAPES: readonly Shape[] = SHAPES.filter((s) => s.needles.includes('glrt-') || s.needles.includes('GR1348941'));

/** Keys whose non-empty literal value is a static cloud credential whatever its shape. */
export const CLOUD_KEY_NAMES = ['AccessKey', 'SecretKey', 'SessionToken', 'AccountKey', 'access_key', 'secret_key', 'aws_secret_access_key', 'aws_access_key_id', 'aws_session_token', 'AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SESSION_TOKEN', 'AZURE_CLIENT_SECRET', 'ARM_CLIENT_SECRET', 'ARM_ACCESS_KEY', 'AZURE_STORAGE_KEY', 'AZURE_STORAGE_ACCOUNT_KEY', 'client_secret', 'clientSecret', 'storage_account_access_key', 'primary_access_key'] as const;
const CLOUD_KEYS: ReadonlySet<string> = new Set(CLOUD_KEY_NAMES);
/**
 * Names that name a Kubernetes Secret where they stand: `secretName` is the Kubernetes API's own
 * (SecretVolumeSource, IngressTLS), `secret_name` the Terraform kubernetes provider's spelling of it
 * (a volume's `secret { secret_name = … }`) and the variables modules copy from it, `existingSecret`
 * the Helm charts' value for a Secret the user made (`existing_secret` its snake-case form). Beside
 * one of them, a `secret_key` names a key INSIDE that Secret (`{ secret_name = "pg", secret_key =
 * "password" }`, found in a module argument of fullstack-pw/infra), not an S3 or MinIO secret key.
 */
export const SECRET_NAME_KEYS = ['secret_name', 'secretName', 'existing_secret', 'existingSecret'] as const;
const SECRET_NAMES: ReadonlySet<string> = new Set(SECRET_NAME_KEYS);
/** The one cloud credential key that, beside a Secret's name, names a key of that Secret (`secretKeyNameBeside`). */
export const SECRET_KEY_NAME_KEY = 'secret_key';

/**
 * Whether the keys of one object or block (a `secret_key` among them) say its `secret_key` names a key
 * of a Kubernetes Secret: a `SECRET_NAME_KEYS` name is beside it, and no other cloud credential key
 * (`access_key` beside it makes the pair a store's credentials, which a module may put in the Secret
 * it names).
 */
export function secretKeyNameBeside(keys: Iterable<string>): boolean {
  let named = false;
  for (const k of keys) {
    if (SECRET_NAMES.has(k)) named = true;
    else if (k !== SECRET_KEY_NAME_KEY && CLOUD_KEYS.has(k)) return false;
  }
  return named;
}

/**
 * Whether a value given to a `secret_key` beside a Secret's name (`secretKeyNameBeside`) is the name
 * of a key in it: a short word of the characters Kubernetes allows in a Secret's data key
 * (alphanumerics, `-`, `_`, `.`: core/v1 Secret `data`), at most 63 of them, without a credential's
 * shape and without the look of a random string (16 or more letters and digits, upper and lower case
 * and digits mixed, no separator: an issued key, not a key's name). `password`, `POSTGRES_PASSWORD`,
 * `secret-access-key` are names; a value of another form stays a credential.
 */
export function secretKeyNameValue(value: string): boolean {
  const v = value.trim();
  if (!/^[-._a-zA-Z0-9]{1,63}$/.test(v) || /^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)[A-Za-z0-9]{16,}$/.test(v)) return false;
  return !SHAPES.some((s) => s.re.test(v));
}

/** A line's key (`key:`, `key =`, `"key":`, after a YAML list item's `- `), the column it starts at, and whether a `- ` starts an item there. */
const LINE_KEY = /^([ \t]*)(-[ \t]+)?["']?([A-Za-z_][A-Za-z0-9_-]*)["']?[ \t]*[=:]/;

/**
 * Whether the `secret_key` assigned on line `i` of a script, heredoc or multi-line string names a
 * key of a Kubernetes Secret, as `secretKeyNameBeside` and `secretKeyNameValue` say of a parsed
 * object: the one word it is assigned is a key's name, and the lines of its block (the lines next
 * to it, up and down, whose key starts at the same column, over deeper lines; the block ends at a
 * blank line, a shallower line, or a YAML item's `- `) name a Secret and no other cloud credential
 * key. Conservative: a `secret_key` whose sibling is not in that block stays a credential.
 */
export function secretKeyNameOnLine(lines: readonly string[], i: number): boolean {
  const line = lines[i] ?? '';
  const own = LINE_KEY.exec(line);
  if (!own || own[3] !== SECRET_KEY_NAME_KEY) return false;
  // The value as written: one word, quoted or not, a `,` after it (an HCL or JSON object's line).
  const value = /^[ \t]*(["']?)([^"'\s,]*)\1[ \t]*,?[ \t]*$/.exec(line.slice(own[0].length));
  if (!value || !secretKeyNameValue(value[2]!)) return false;
  const column = own[1]!.length + (own[2]?.length ?? 0);
  const keys = [SECRET_KEY_NAME_KEY];
  // Each way from line i: the keys at its column, over deeper lines and comments, up to the block's end.
  const walk = (step: 1 | -1): void => {
    for (let j = i + step; j >= 0 && j < lines.length; j += step) {
      const line = lines[j]!;
      const text = line.trim();
      if (text === '') return;
      if (text.startsWith('#') || text.startsWith('//')) continue;
      const m = LINE_KEY.exec(line);
      const indent = line.length - line.trimStart().length;
      const at = m ? m[1]!.length + (m[2]?.length ?? 0) : indent;
      if (at < column) return;
      if (at > column) continue;
      if (!m) return;
      // A `- ` at this column opens another item: going down it ends the block; going up, it is the block's first line.
      if (m[2] !== undefined && step === 1) return;
      keys.push(m[3]!);
      if (m[2] !== undefined) return;
    }
  };
  if (own[2] === undefined) walk(-1);
  walk(1);
  return secretKeyNameBeside(keys);
}

/**
 * gitlab-runner register's environment names for its tokens (`env:"REGISTRATION_TOKEN"` in its
 * commands/register.go, `env:"CI_SERVER_TOKEN"` of RunnerCredentials in common/config.go): a literal
 * value given to one (a container's env entry) is a runner token whatever its shape: older
 * registration tokens carry no GR1348941 prefix.
 */
export const RUNNER_TOKEN_KEY_NAMES = ['REGISTRATION_TOKEN', 'CI_SERVER_TOKEN'] as const;
const RUNNER_TOKEN_KEYS: ReadonlySet<string> = new Set(RUNNER_TOKEN_KEY_NAMES);

/**
 * gitlab-runner's names for a runner token as a document holds them: config.toml's `token`
 * (RunnerCredentials in common/config.go), the chart's `runnerToken` and `runnerRegistrationToken`,
 * the GitLab Terraform provider's `token` (gitlab_user_runner), `registration_token` and
 * `authentication_token` (gitlab_runner), `runners_token` (the registration token of a group or a
 * project: a sensitive attribute of gitlab_group and gitlab_project, resources and data sources, and
 * of each item of the gitlab_groups and gitlab_projects data sources; terraform-provider-gitlab
 * docs/resources/group.md, project.md), and the `runner_token` modules name their variables and
 * outputs. The one list the doctor's readers of a JSON-encoded attribute and of a Terraform state
 * judge a literal by (a runner token whatever its shape, unless `placeholderValue`).
 */
export const RUNNER_TOKEN_ATTRIBUTE_NAMES = ['token', 'runner_token', 'runnerToken', 'registration_token', 'runnerRegistrationToken', 'authentication_token', 'runners_token'] as const;
const RUNNER_TOKEN_ATTRIBUTES: ReadonlySet<string> = new Set(RUNNER_TOKEN_ATTRIBUTE_NAMES);

/**
 * A runner token's name written into a longer one, as modules and roles name their variables
 * (`gitlab_runner_registration_token`, `runner_authentication_token`): the name ends in `_` and one
 * of the runner token names other than `token` alone.
 */
const RUNNER_TOKEN_SUFFIX = new RegExp(`_(?:${RUNNER_TOKEN_ATTRIBUTE_NAMES.filter((n) => n !== 'token').join('|')})$`);

/**
 * Whether a variable's name says it holds a runner token: one of `RUNNER_TOKEN_ATTRIBUTE_NAMES` but
 * `token` alone (which names a token of anything), or a longer name ending in one
 * (`RUNNER_TOKEN_SUFFIX`). The one rule for a literal judged by the variable it is given to, whatever
 * its shape: a Terraform plan's variables and template inputs, an Ansible role's or inventory's vars.
 */
export function runnerTokenVariable(name: string): boolean {
  return (name !== 'token' && RUNNER_TOKEN_ATTRIBUTES.has(name)) || RUNNER_TOKEN_SUFFIX.test(name);
}

/**
 * Whether a value given to a credential (a credential key's, a docker-machine key option's) is a
 * placeholder that no issued credential can be: empty; a reference filled in later (`$NAME`,
 * `${…}`, `${{ … }}`, a script's `$1`); template placeholders only (`{{ … }}`); a `placeholderWord`
 * (`changeme`, `REPLACE_ME`, `<your-token>`, `TODO`, `xxxx-xxxx`, `your_token_here` …); or a
 * `namedPlaceholder` (AWS's documented example keys, an environment variable's name).
 * The one rule for every reader of a credential by its key or option.
 */
export function placeholderValue(value: string): boolean {
  const v = value.trim();
  return isReference(v) || v.includes('${') || placeholdersOnly(v) || placeholderWord(v) || namedPlaceholder(v) !== undefined;
}

/**
 * A word or marker written where a credential belongs that asks for it, which no issued credential
 * is (services issue random values: AWS key ids are `AKIA`/`ASIA` and 16 upper-case letters and
 * digits, secrets 40 characters of base64, GitLab tokens a prefix and random characters):
 * - words that ask for the value at the start: `changeme`/`change-me`/`CHANGE_ME`, `REPLACE…`,
 *   `your…` (`your_token_here`), `set-by-…`, a `<…>` hint (`<your-token>`, `<redacted>`);
 * - a marker a later sed or configure step replaces: `__NAME__`, `@NAME@`;
 * - a note left for later: `TODO`, `TBD`, `FIXME`, alone or followed by a separator (`TODO: set`);
 * - one character over and over (`AAA`, `***`), or only `x`/`X`/`*` with separators (`xxxx-xxxx-xxxx`,
 *   `xxx…`, `XXXX_XXXX`), also after a credential's prefix (`AKIAXXXXXXXXXXXXXXXX`, `glrt-xxxx`);
 * - a phrase ending in `here` (`insert-key-here`, `token_goes_here`), and `placeholder`,
 *   `redacted` or `sensitive value` (bracketed or not: `(sensitive value)` is what Terraform prints for
 *   a sensitive value, and what the helm provider writes for a `set_sensitive` entry in a release's
 *   `metadata.values`);
 * - a GitLab token's prefix followed by lowercase words joined by `-` or `_` (`glrt-my-auth-token`,
 *   `glpat-your-token-here`, `GR1348941example-token-value`: `PLACEHOLDER_TOKEN`).
 * Not placeholders: a store's default credentials (`minioadmin`, `minio123`) and words such as
 * `dummy`, `test` or `secret`: S3-compatible stores and emulators take them as keys, so they stay
 * credentials.
 */
export function placeholderWord(value: string): boolean {
  const v = value.trim();
  return (
    /^(set-by-|change[-_]?me|REPLACE|your|<)/i.test(v) ||
    /^(__[A-Z0-9_]+__|@[A-Z0-9_]+@)$/.test(v) ||
    /^(TODO|TBD|FIXME)(?:$|[\s:._-])/i.test(v) ||
    /^(.)\1*$/.test(v) ||
    /^(?:AKIA|ASIA|glrt-|glpat-|GR1348941)?(?=(?:.*[xX*]){3})[xX*.\u2026_\s-]+$/.test(v) ||
    /(?:^|[\s._-])here$/i.test(v) ||
    /^[[<(]?(?:placeholder|redacted|sensitive value)[\]>)]?$/i.test(v) ||
    PLACEHOLDER_TOKEN.test(v)
  );
}

/**
 * A GitLab token prefix followed by nothing but lowercase words joined by `-` or `_` (two or more:
 * `glrt-my-auth-token`, seen under a helm-unittest suite's `set:` in DoD-Platform-One/gitlab-runner
 * chart/tests/configmap_test.yaml). GitLab issues these tokens with a random part after the prefix
 * (20 characters of `[0-9A-Za-z_-]` for `glrt-`/`glpat-`, longer for routable tokens; GitLab docs,
 * security/tokens), which mixes cases and digits: a run of lowercase words is a name someone wrote,
 * not an issued token. The narrow rule only: a sound minimum length (fewer than 20 characters after
 * the prefix is no token GitLab issued) would change a dozen test files' short fake tokens, so it is
 * left for later (issue 36a's report). Read by `placeholderWord`, and by the doctor's shape matches
 * (`credentialIn`, `lineCredentials`); plan's generated-output scan (verify/secrets.ts, RF304) tests
 * SHAPES alone and keeps flagging such a value.
 */
const PLACEHOLDER_TOKEN = /^(?:glrt-|glpat-|GR1348941)[a-z]+(?:[-_][a-z]+)+$/;

/** What RF933 says a placeholder given to a cloud credential key is. */
export type PlaceholderKind = 'an AWS documentation example key' | 'the name of an environment variable' | 'a placeholder';

/**
 * What a value given to a credential key is when it is a placeholder that stands where a key belongs
 * (the doctor's RF933 at a cloud credential key): a `placeholderWord` (before the variable's name:
 * `REPLACE_ME` asks for the value, it names no variable), AWS's documented example key, or an
 * environment variable's name. Undefined for a credential, and for what is no placeholder to note:
 * empty, a reference (`$NAME`, `${…}`, `$1`: the reader or the shell fills it in from where it is
 * kept) or template placeholders only (`{{ … }}`: Helm fills it in). No value is kept.
 */
export function notedPlaceholder(value: string): PlaceholderKind | undefined {
  const v = value.trim();
  if (isReference(v) || v.includes('${') || placeholdersOnly(v)) return undefined;
  if (placeholderWord(v)) return 'a placeholder';
  return namedPlaceholder(v);
}

/**
 * AWS's documented example keys: every access key id of its documentation ends in `EXAMPLE`
 * (`AKIAIOSFODNN7EXAMPLE`, `ASIAIOSFODNN7EXAMPLE`, `AKIAI44QH8DHBEXAMPLE`), every secret access key
 * in `EXAMPLEKEY` (`wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`), at the length of a real one. AWS
 * issues key ids of random upper-case letters and digits and secrets of random base64: seven
 * (ten) given letters at the end are a chance of about 1 in 10^10 (10^18).
 */
const AWS_DOCS_EXAMPLE = /^(?:AKIA|ASIA)[0-9A-Z]{9}EXAMPLE$|^[A-Za-z0-9/+]{30}EXAMPLEKEY$/;
/**
 * The name of an environment variable written where its value belongs (`AccessKey = "AWS_ACCESS_KEY"`):
 * upper-case words joined by `_`, at least two, none longer than 16 characters. Nothing a cloud
 * issues has this form (AWS key ids are 20 characters without `_`, secrets and Azure keys base64
 * without `_`, GitLab tokens lower-case after their prefix); an S3-compatible store (MinIO) takes any
 * string, but a key chosen in this form reads as the variable it names, and looser forms (one word,
 * lower case, digits only) stay credentials.
 */
const ENV_NAME = /^[A-Z][A-Z0-9]{0,15}(?:_[A-Z0-9]{1,16})+$/;

/** A value no key is that reads as one (AWS's documented example key, an environment variable's name): which, else undefined. */
export function namedPlaceholder(value: string): 'an AWS documentation example key' | 'the name of an environment variable' | undefined {
  const v = value.trim();
  if (AWS_DOCS_EXAMPLE.test(v)) return 'an AWS documentation example key';
  return ENV_NAME.test(v) ? 'the name of an environment variable' : undefined;
}

/** A docker-machine driver option that takes a static cloud credential; `exact`: the form every credential the cloud issues for it has. */
export interface MachineKeyOption {
  cloud: 'aws' | 'azure';
  what: Shape;
  exact?: RegExp;
}

const keyShape = (name: string): Shape => ({ name, re: /./, cloud: true, needles: [] });
/** The access key id shape as a whole value (`AKIA` and 16 more, not one character repeated). */
const WHOLE_ACCESS_KEY_ID = new RegExp(`^(?:${SHAPES[0]!.re.source})$`);

/**
 * `[runners.machine] MachineOptions` entries (`<driver option>=<value>`, the `docker-machine create`
 * flags without their dashes, also given as `gitlab-runner register --machine-machine-options`) that
 * hand docker-machine a static cloud credential. Option names are the drivers' own (docker/machine
 * drivers/amazonec2 and drivers/azure, kept in GitLab's fork): amazonec2-access-key,
 * amazonec2-secret-key, amazonec2-session-token ("AWS Access Key", "AWS Secret Key", "AWS Session
 * Token"; without them the driver takes the AWS SDK's default chain, an instance profile of the
 * manager included) and azure-client-secret (the service principal's password). The google driver
 * has no credential option: it reads Application Default Credentials (the manager's service account,
 * or GOOGLE_APPLICATION_CREDENTIALS), so nothing of it is flagged. These options only ever go to AWS
 * or Azure, so the form AWS issues its keys in decides too: an access key id is 20 characters,
 * `AKIA` (long-term) or `ASIA` (temporary) and 16 upper-case letters and digits; a secret access key
 * is 40 characters of letters, digits, `/` and `+`. A value of another form is no AWS key. (The
 * `AWS_*` environment names are not held to it: S3-compatible stores take any key under them.)
 */
export const MACHINE_KEY_OPTIONS: ReadonlyMap<string, MachineKeyOption> = new Map<string, MachineKeyOption>([
  ['amazonec2-access-key', { cloud: 'aws', what: keyShape('an AWS access key id'), exact: WHOLE_ACCESS_KEY_ID }],
  ['amazonec2-secret-key', { cloud: 'aws', what: keyShape('an AWS secret access key'), exact: /^[A-Za-z0-9/+]{40}$/ }],
  ['amazonec2-session-token', { cloud: 'aws', what: keyShape('an AWS session token') }],
  ['azure-client-secret', { cloud: 'azure', what: keyShape('an Azure client secret') }],
]);

/** What a docker-machine option entry sets: a key option's kind, and whether its value is a placeholder (never the value itself). */
export interface MachineKey extends MachineKeyOption {
  option: string;
  /** A value no issued credential can be (`placeholderValue`, or not the form the cloud issues, with no credential's shape in it). */
  placeholder: boolean;
  /** The value, when it is not a placeholder: for the callers' use only, which drop it at once. */
  secret?: string;
}

/**
 * The credential option an entry (`amazonec2-secret-key=…`, with or without dashes) sets, undefined
 * for any other entry or an empty value (the option then gives nothing). A value with a credential's
 * shape (an access key id in the secret key's option) is never a placeholder.
 */
export function machineKey(entry: string): MachineKey | undefined {
  const eq = entry.indexOf('=');
  if (eq < 0) return undefined;
  const option = entry.slice(0, eq).trim().replace(/^--?/, '').toLowerCase();
  const known = MACHINE_KEY_OPTIONS.get(option);
  const value = entry.slice(eq + 1).trim();
  if (!known || value === '') return undefined;
  const shaped = !isReference(value) && SHAPES.some((s) => s.re.test(value));
  const placeholder = !shaped && (placeholderValue(value) || (known.exact !== undefined && !known.exact.test(value)));
  return { option, ...known, placeholder, ...(placeholder ? {} : { secret: value }) };
}

/** A line holding one of the key options' names (any case): only such a line is scanned for them. */
const MACHINE_KEY_NEEDLE = new RegExp([...MACHINE_KEY_OPTIONS.keys()].join('|'), 'i');

/** A key option written on a line (`amazonec2-secret-key=…` in a quoted MachineOptions entry, or an argument of `--machine-machine-options`): the option, then its value to a quote, a space, `,`, `]` or `\`. */
const MACHINE_KEY_ON_LINE = new RegExp(`(?<![A-Za-z0-9_-])(?:${[...MACHINE_KEY_OPTIONS.keys()].join('|')})=[^"'\\s,\\]\\\\]*`, 'gi');

const escaped = (n: string): string => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A text matching `name` in any case (letters as `[aA]`, the rest escaped), for a RegExp without the `i` flag. */
const anyCase = (name: string): string => [...name].map((c) => (c.toLowerCase() !== c.toUpperCase() ? `[${c.toLowerCase()}${c.toUpperCase()}]` : escaped(c))).join('');
/**
 * The texts every credential `credentialIn` or `lineCredential` finds contains one of (a shape's
 * needle, a credential key's name or a docker-machine key option's), as RegExp sources; the key
 * options in any case, as lineCredentials finds them (MACHINE_KEY_NEEDLE has the `i` flag). Before
 * stop 55 they were matched in lower case only, so a text whose one needle was an option written in
 * capitals (`AMAZONEC2-SECRET-KEY=…`) was passed over by holdsCredential and maskCredentials.
 */
export const CREDENTIAL_NEEDLES: readonly string[] = [...[...SHAPES.flatMap((s) => s.needles), ...CLOUD_KEY_NAMES, ...RUNNER_TOKEN_KEY_NAMES].map(escaped), ...[...MACHINE_KEY_OPTIONS.keys()].map(anyCase)];
const ANY_NEEDLE = new RegExp(CREDENTIAL_NEEDLES.join('|'));
/** Every text a shape matches holds one of these: one scan decides that a text needs no shape tested. */
const SHAPE_NEEDLE = new RegExp(SHAPES.flatMap((s) => s.needles).map(escaped).join('|'));

/** Whether a text may hold a shape (one needle of SHAPES): a text without one needs no shape tested. */
export function mayHoldShape(text: string): boolean {
  return SHAPE_NEEDLE.test(text);
}

/** Whether a key is a cloud credential key (`CLOUD_KEY_NAMES`), whose literal value `keyCredential` takes for a credential. */
export function isCloudKey(key: string): boolean {
  return CLOUD_KEYS.has(key);
}

/**
 * Whether a value is nothing but template placeholders (`{{ .Values.x }}`, `{{ a }}{{ b }}`): a Helm
 * or Go template, Jinja or Ansible fills it in later. One pass: each `}}` is looked for once.
 */
function placeholdersOnly(value: string): boolean {
  let i = 0;
  let seen = false;
  while (i < value.length) {
    if (/\s/.test(value[i]!)) {
      i++;
      continue;
    }
    if (!value.startsWith('{{', i)) return false;
    const close = value.indexOf('}}', i + 2);
    if (close < 0) return false;
    seen = true;
    i = close + 2;
  }
  return seen;
}

/**
 * What a value is and the credential inside it (the text a shape matched, or the whole value of a
 * credential key), undefined when it is not a credential: for the callers' use only, which drop
 * the text at once.
 */
export function credentialIn(value: string, key: string | undefined): { what: Shape; secret: string } | undefined {
  if (isReference(value)) return undefined;
  for (const s of SHAPES) {
    const m = s.re.exec(value);
    if (m && !(s === PRIVATE_KEY && placeholderKeyIn(value, m.index)) && !PLACEHOLDER_TOKEN.test(m[0])) return { what: s, secret: m[0] };
  }
  const keyed = key !== undefined ? keyCredential(value, key) : undefined;
  return keyed ? { what: keyed, secret: value } : undefined;
}

/** Whether the PEM header at `index` of a multi-line value begins a block of placeholders (`placeholderKeyBlock`). */
function placeholderKeyIn(value: string, index: number): boolean {
  if (!value.includes('\n', index)) return false;
  const lines = value.split('\n');
  let n = 0;
  for (let at = value.indexOf('\n'); at >= 0 && at < index; at = value.indexOf('\n', at + 1)) n++;
  return placeholderKeyBlock(lines, n);
}

/** Terraform expressions and shell or CI variables are references, not literals. */
function isReference(value: string): boolean {
  // `$NAME`, `${…}`, `${{ … }}`, and a script's positional parameters (`$1`, `$@`, `$*`).
  return value === '' || /^\$\{[^}]*\}$|^\$[A-Za-z_][A-Za-z0-9_]*$|^\$[0-9@*]$|^\$\{\{/.test(value.trim());
}

/**
 * A value that is a credential by the key it is given to (a cloud credential key, `CLOUD_KEY_NAMES`,
 * or gitlab-runner's token environment names, `RUNNER_TOKEN_KEY_NAMES`),
 * whatever its shape: what it is, else undefined (not such a key, or a reference or placeholder).
 */
export function keyCredential(value: string, key: string): Shape | undefined {
  // A placeholder is filled in later (a shape inside one is found by its shape); a value SOPS encrypted is no credential in clear.
  const token = RUNNER_TOKEN_KEYS.has(key);
  if ((!CLOUD_KEYS.has(key) && !token) || placeholderValue(value) || sopsEncrypted(value)) return undefined;
  if (token) return { name: `a GitLab runner token (${key})`, re: /./, cloud: false, needles: RUNNER_TOKEN_KEY_NAMES };
  return { name: `a static credential (${key})`, re: /./, cloud: true, needles: CLOUD_KEY_NAMES };
}

/**
 * A value SOPS encrypted in place (`ENC[AES256_GCM,data:…,iv:…,tag:…,type:str]`, the form its
 * documentation and every file it writes show): the credential is in the file only encrypted, and the
 * key that decrypts it is elsewhere (age, PGP, a cloud KMS), so it is no static key written in clear.
 */
const SOPS_ENCRYPTED = /^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]+,tag:[A-Za-z0-9+/=]+,type:[a-z]+\]$/;
const sopsEncrypted = (value: string): boolean => value.startsWith('ENC[') && SOPS_ENCRYPTED.test(value.trim());

/**
 * A Terraform reference written unquoted as the whole value (`access_key = var.x`, `= local.y`,
 * `= data.aws_ssm_parameter.k.value`, `= module.m.out`): an HCL line of a template or of a string
 * that holds Terraform, which takes the value at plan time. Quoted, it is a literal.
 */
const TERRAFORM_REFERENCE = /^(var|local|data|module)\.[A-Za-z_][A-Za-z0-9_.[\]*-]*$/;

/** A credential on a line: `index`..`end` the key of an assignment, the option of a docker-machine key option (`option`), or the text a shape matched. */
export interface LineCredential {
  what: Shape;
  secret: string;
  index: number;
  end: number;
  key?: string;
  option?: true;
}

/** The assignments a line starts with: `KEY=value` (`key = value` and `key: value` too with `yamlOrToml`), then, after a `KEY=value`, more of them as a shell writes them (`export A=… B=…`, `A=… B=… command`). */
interface Assignment {
  key: string;
  value: string;
  quoted: boolean;
  /** Offsets of the key's first character and past the value's last (without its closing quote). */
  index: number;
  end: number;
}
/** What may come before a line's first assignment: blanks, `export ` (a shell's). */
const FIRST_PREFIX = /^\s*(?:export\s+)?/;
/**
 * A YAML list item's first key is read as the plain key is: `- secret_key: x` sets `secret_key` as
 * `secret_key: x` does (a block sequence entry is a mapping whose first key follows `- `, YAML 1.2
 * §8.2.1), so the dash form of a list of stores or env entries is not passed over.
 */
const FIRST_PREFIX_YAML_TOML = /^\s*(?:export\s+|-[ \t]+)?/;
/** `KEY=value` as a shell writes it (no blank around `=`); with yamlOrToml `key = value` and `key: value` too. Sticky: read where the caller points. */
const ASSIGNED_AT = /([A-Za-z_][A-Za-z0-9_]*)=(["']?)([^"'\s]*)/y;
const ASSIGNED_AT_YAML_TOML = /([A-Za-z_][A-Za-z0-9_]*)\s*[=:]\s*(["']?)([^"'\s]*)/y;

/** An assignment read at a place of a text (`assignmentAt`): `valueAt` is the offset of its value's first character (after an opening quote). */
export interface AssignmentAt {
  key: string;
  value: string;
  quoted: boolean;
  index: number;
  end: number;
  valueAt: number;
}

/**
 * The assignment that starts at offset `index` of `text`: a key, `=` (with yamlOrToml also `:`, and
 * blanks around either), an optional quote, and the value up to a quote or a blank; undefined where
 * none starts there. The one reader of an assignment for the line scan (`lineCredentials`,
 * `lineNotes`) and for a key assigned a reference anywhere in a text (`referenceAssignments`).
 */
export function assignmentAt(text: string, index: number, yamlOrToml: boolean): AssignmentAt | undefined {
  const re = yamlOrToml ? ASSIGNED_AT_YAML_TOML : ASSIGNED_AT;
  re.lastIndex = index;
  const m = re.exec(text);
  if (!m) return undefined;
  return { key: m[1]!, value: m[3]!, quoted: m[2] !== '', index, end: re.lastIndex, valueAt: re.lastIndex - m[3]!.length };
}

/** A Terraform interpolation a value starts with (`${var.x}`, `${local.y}`, `${lookup(…)}`), as far as its closing brace on the line. */
const INTERPOLATION_AT = /\$\{[^}\n]*\}?/y;

/**
 * The assignments in a text of one of `keys` whose value starts with a Terraform interpolation
 * (`aws_access_key_id=${var.access_key}`, `export AWS_SECRET_ACCESS_KEY="${local.secret}"`,
 * `AZURE_CLIENT_SECRET: ${var.x}`), anywhere in it: the key stands alone (not the tail of a longer
 * name; after a `\n` or `\t` escape of an HCL string it starts a line), read by `assignmentAt`;
 * `expr` is the interpolation as written.
 */
export function referenceAssignments(text: string, keys: readonly string[]): { key: string; expr: string; index: number }[] {
  const out: { key: string; expr: string; index: number }[] = [];
  const named = new RegExp(`(?:(?<=\\\\[nt])|(?<![A-Za-z0-9_]))(?:${keys.map(escaped).join('|')})(?=\\s*[=:])`, 'g');
  for (const m of text.matchAll(named)) {
    const a = assignmentAt(text, m.index, true);
    if (!a) continue;
    INTERPOLATION_AT.lastIndex = a.valueAt;
    const expr = INTERPOLATION_AT.exec(text);
    if (expr) out.push({ key: a.key, expr: expr[0], index: m.index });
  }
  return out;
}
/** One more shell assignment after one: its closing quote, spaces, then `KEY=value` (sticky: read from where the last ended). */
const NEXT_ASSIGNMENT = /["']?[ \t]+([A-Za-z_][A-Za-z0-9_]*)=(["']?)([^"'\s]*)/y;

function lineAssignments(line: string, yamlOrToml: boolean): Assignment[] {
  const prefix = (yamlOrToml ? FIRST_PREFIX_YAML_TOML : FIRST_PREFIX).exec(line)![0];
  // Where no assignment follows the prefix, the prefix's word may be the key itself (`export = x`).
  const first = assignmentAt(line, prefix.length, yamlOrToml) ?? (prefix.trim() !== '' ? assignmentAt(line, /^\s*/.exec(line)![0].length, yamlOrToml) : undefined);
  if (!first) return [];
  const out: Assignment[] = [{ key: first.key, value: first.value, quoted: first.quoted, index: first.index, end: first.end }];
  // Only a shell's `KEY=value` (no space around `=`) goes on: a YAML or TOML value is one.
  if (line[first.index + first.key.length] !== '=') return out;
  NEXT_ASSIGNMENT.lastIndex = first.end;
  for (let m = NEXT_ASSIGNMENT.exec(line); m; m = NEXT_ASSIGNMENT.exec(line)) {
    out.push({ key: m[1]!, value: m[3]!, quoted: m[2] !== '', index: m.index + m[0].length - m[3]!.length - m[2]!.length - 1 - m[1]!.length, end: m.index + m[0].length });
  }
  return out;
}

/**
 * A value assigned that is read later, not written: a command substitution (`$(aws ssm get-parameter …)`)
 * reads it at run time; a template placeholder (`{{ .Values.x }}` of a values string the chart renders,
 * Jinja) is filled in later; an unquoted Terraform reference is taken at plan time.
 */
function assignedLater(a: Assignment, yamlOrToml: boolean): boolean {
  return /^(\$\(|`|\{\{)/.test(a.value) || (yamlOrToml && /^(true|false|null|~|\d+)$/.test(a.value)) || (!a.quoted && TERRAFORM_REFERENCE.test(a.value));
}

/** SHAPES with the global flag, to find every match on a line. */
const SHAPES_ALL = SHAPES.map((s) => new RegExp(s.re.source, 'g'));

/**
 * The credentials on one line of a script, template or heredoc: every docker-machine key option
 * written out (`amazonec2-secret-key=…` in a MachineOptions entry or after
 * `--machine-machine-options`, by `machineKey`), every shape elsewhere on the line, and the value of
 * each key it is assigned to (`lineAssignments`) that holds none of those. In the line's order.
 * One pass per shape whose needle the line holds.
 */
export function lineCredentials(line: string, yamlOrToml: boolean): readonly LineCredential[] {
  // Most lines hold no credential: nothing is allocated for them (the scan runs on every line of every generated file).
  let out: LineCredential[] | undefined;
  // Most lines name no key option: one test of its option names before the scan for each of them.
  if (line.includes('=') && MACHINE_KEY_NEEDLE.test(line)) {
    for (const m of line.matchAll(MACHINE_KEY_ON_LINE)) {
      const k = machineKey(m[0]);
      if (k && !k.placeholder) (out ??= []).push({ what: k.what, secret: k.secret!, index: m.index, end: m.index + m[0].length, key: k.option, option: true });
    }
  }
  for (let n = 0; n < SHAPES.length; n++) {
    const s = SHAPES[n]!;
    if (!s.needles.some((x) => line.includes(x))) continue;
    // A shape inside an option's value is that option's credential.
    for (const m of line.matchAll(SHAPES_ALL[n]!)) if (!overlaps(out, m.index, m.index + 1) && !PLACEHOLDER_TOKEN.test(m[0])) (out ??= []).push({ what: s, secret: m[0], index: m.index, end: m.index + m[0].length });
  }
  // An assignment's value is a credential by its shape (found above) or by its key, a cloud credential
  // key's or a runner token's (`keyCredential`): a line that names none of them has none by key.
  if (KEY_NAME_NEEDLE.test(line)) {
    for (const a of lineAssignments(line, yamlOrToml)) {
      // A value holding a shape or a key option is said by it.
      if (assignedLater(a, yamlOrToml) || overlaps(out, a.index, a.end)) continue;
      const c = credentialIn(a.value, a.key);
      if (c) (out ??= []).push({ what: c.what, secret: c.secret, index: a.index, end: a.end, key: a.key });
    }
  }
  if (!out) return NO_CREDENTIALS;
  if (out.length > 1) out.sort((a, b) => a.index - b.index);
  return out;
}

/** Whether a credential found on a line overlaps the span from `from` to `to`. */
const overlaps = (found: readonly LineCredential[] | undefined, from: number, to: number): boolean => found !== undefined && found.some((o) => o.index < to && from < o.end);
/** The one empty answer of `lineCredentials`. */
const NO_CREDENTIALS: readonly LineCredential[] = Object.freeze([]);
/** A line naming a key whose value is a credential by the key alone (`keyCredential`). */
const KEY_NAME_NEEDLE = new RegExp([...CLOUD_KEY_NAMES, ...RUNNER_TOKEN_KEY_NAMES].map(escaped).join('|'));

/** A docker-machine key option or a cloud credential key set on a line to what is no key (`lineNotes`). */
export interface LineNote {
  /** The option (`amazonec2-secret-key`) or the key (`AccessKey`). */
  key: string;
  /** A docker-machine key option set to a placeholder (`machineKey`), not a register flag's; else a cloud credential key set to a `notedPlaceholder`. */
  option?: MachineKeyOption;
  /** What the value is, for a key (`notedPlaceholder`). */
  named?: string;
  index: number;
  end: number;
}

/**
 * What a line sets that is no key but says a static key is configured (the doctor's RF928 and
 * RF933): a docker-machine key option set to a placeholder (one of `gitlab-runner register
 * --machine-machine-options` is the register reader's), and a cloud credential key assigned AWS's
 * documented example key, an environment variable's name or a placeholder word (`notedPlaceholder`). No value is kept.
 */
export function lineNotes(line: string, yamlOrToml: boolean): LineNote[] {
  const out: LineNote[] = [];
  if (line.includes('=') && MACHINE_KEY_NEEDLE.test(line)) {
    for (const m of line.matchAll(MACHINE_KEY_ON_LINE)) {
      const k = machineKey(m[0]);
      if (k?.placeholder && !/machine-machine-options[\s=]+["']?$/.test(line.slice(0, m.index))) out.push({ key: k.option, option: { cloud: k.cloud, what: k.what }, index: m.index, end: m.index + m[0].length });
    }
  }
  if (!CLOUD_KEY_NEEDLE.test(line)) return out;
  for (const a of lineAssignments(line, yamlOrToml)) {
    // A value read later (`$(…)`, `{{ … }}` cut at its space, a Terraform reference) is no placeholder.
    const named = CLOUD_KEYS.has(a.key) && !assignedLater(a, yamlOrToml) ? notedPlaceholder(a.value) : undefined;
    if (named !== undefined && !out.some((o) => o.index < a.end && a.index < o.end)) out.push({ key: a.key, named, index: a.index, end: a.end });
  }
  return out;
}

/** A line naming a cloud credential key: only such a line has an assignment `lineNotes` says. */
const CLOUD_KEY_NEEDLE = new RegExp(CLOUD_KEY_NAMES.join('|'));

/** The first credential on a line (`lineCredentials`), undefined when there is none. */
export function lineCredential(line: string, yamlOrToml: boolean): LineCredential | undefined {
  return lineCredentials(line, yamlOrToml)[0];
}

/**
 * Whether a line holds a credential (`lineCredential`, YAML/TOML rules), by the exact line: the user
 * data of a fleet's runners repeats most of its lines (1,000 runners: ~214,000 lines, ~9,000
 * distinct). Emptied when it reaches LINE_MEMO_MAX lines, so a long-lived process does not grow it
 * (a line sliced from a text may keep that text alive until then).
 */
const lineHolds = new Map<string, boolean>();
const LINE_MEMO_MAX = 20_000;

/**
 * What every line `lineCredentials` finds anything on holds, by its three tests: a shape's needle,
 * a key name of KEY_NAME_NEEDLE, or a docker-machine key option's name in any case
 * (MACHINE_KEY_NEEDLE). A line without one has no credential, so holdsCredential looks only at
 * the lines this finds in the whole text (global: it steps from line to line).
 */
const LINE_NEEDLE = new RegExp(CREDENTIAL_NEEDLES.join('|'), 'g');

/**
 * Whether a text (user data: a shell script, cloud-init, a config.toml in a heredoc) holds a
 * credential on any of its lines, by the doctor's line rules. Texts without a needle are not split;
 * of the others, only the lines holding a needle (LINE_NEEDLE) are read: a fleet's user data has
 * ~214 lines per runner and a handful with a needle, and slicing and looking up every line was
 * most of this function's time.
 */
export function holdsCredential(text: string): boolean {
  if (!ANY_NEEDLE.test(text)) return false;
  LINE_NEEDLE.lastIndex = 0;
  while (LINE_NEEDLE.test(text)) {
    // The match ends at lastIndex and holds no line break: its last character is on the line.
    const at = LINE_NEEDLE.lastIndex - 1;
    const start = text.lastIndexOf('\n', at) + 1;
    const nl = text.indexOf('\n', at);
    const line = text.slice(start, nl < 0 ? text.length : nl);
    let holds = lineHolds.get(line);
    if (holds === undefined) {
      holds = lineCredential(line, true) !== undefined;
      if (lineHolds.size >= LINE_MEMO_MAX) lineHolds.clear();
      lineHolds.set(line, holds);
    }
    if (holds) {
      LINE_NEEDLE.lastIndex = 0;
      return true;
    }
    if (nl < 0) break;
    LINE_NEEDLE.lastIndex = nl + 1;
  }
  LINE_NEEDLE.lastIndex = 0;
  return false;
}

/** Whether a text holds a credential by its shape alone (a serialized document, where lines are escaped). */
export function hasCredentialShape(text: string): boolean {
  return mayHoldShape(text) && SHAPES.some((s) => s.needles.some((n) => text.includes(n)) && s.re.test(text));
}

/** What a credential in a text shown in a message is replaced with. */
export const VALUE_NOT_SHOWN = '(value not shown)';

/**
 * A value given to a token flag or header on a command line (`--token glrt-…`, `--registration-token
 * …`, `-H "PRIVATE-TOKEN: …"`, `Authorization: Bearer …`): a token whatever its shape (a legacy
 * registration token has no prefix), unless it is a reference (`$TOKEN`, `${…}`, `$(…)`) or a placeholder.
 */
const TOKEN_ON_COMMAND = /(--(?:registration-)?token(?:=|[ \t]+)|\b(?:PRIVATE|JOB|DEPLOY)-TOKEN:[ \t]*|\bAuthorization:[ \t]*(?:Bearer|Basic|token)[ \t]+)(["']?)([^\s"']+)/gi;
const TOKEN_ON_COMMAND_NEEDLE = /token|authorization/i;

/**
 * A text a message shows (a command line of user data, an expression), with every credential in it
 * replaced by VALUE_NOT_SHOWN: what a shape matches (all of them), the value of a credential key or
 * docker-machine key option (`lineCredentials`), and the value of a token flag or header. The one
 * rule for echoing a user's command: secrets never reach findings, logs or snapshots. Texts without
 * a needle come back as they are.
 */
export function maskCredentials(text: string): string {
  if (!ANY_NEEDLE.test(text) && !TOKEN_ON_COMMAND_NEEDLE.test(text)) return text;
  return text
    .split('\n')
    .map((line) => {
      let out = line;
      for (const c of lineCredentials(line, true)) if (c.secret !== '') out = out.split(c.secret).join(VALUE_NOT_SHOWN);
      for (const s of SHAPES) if (s.needles.some((n) => out.includes(n))) out = out.replace(new RegExp(s.re.source, `${s.re.flags.replace('g', '')}g`), VALUE_NOT_SHOWN);
      return out.replace(TOKEN_ON_COMMAND, (all, head: string, quote: string, value: string) => (value.startsWith('(value') || value.startsWith('$') || value.startsWith('`') || placeholderValue(value) ? all : `${head}${quote}${VALUE_NOT_SHOWN}`));
    })
    .join('\n');
}

/** A text shown in a message, credentials masked (`maskCredentials`), then cut to `max` characters (with `…`). */
export function shownText(text: string, max: number): string {
  const masked = maskCredentials(text);
  return masked.length > max ? `${masked.slice(0, max)}…` : masked;
}
