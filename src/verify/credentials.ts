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
  { name: 'an AWS access key id', re: /\b(AKIA|ASIA|ABIA|ACCA)(?!([0-9A-Z])\2{15}\b)[0-9A-Z]{16}\b/, cloud: true, needles: ['AKIA', 'ASIA', 'ABIA', 'ACCA'] },
  { name: 'an Azure storage account key', re: /AccountKey=[A-Za-z0-9+/]{40,}={0,2}/, cloud: true, needles: ['AccountKey='] },
  // Azure AD (Entra ID) client secrets: three characters, a digit, `Q~`, then 31 or more.
  { name: 'an Azure client secret', re: /(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,}/, cloud: true, needles: ['Q~'] },
  { name: 'a GitLab runner authentication token', re: /\bglrt-(?!([0-9A-Za-z_-])\1*(?![0-9A-Za-z_-]))[0-9A-Za-z_-]{10,}/, cloud: false, needles: ['glrt-'] },
  { name: 'a GitLab runner registration token', re: /\bGR1348941(?!([0-9A-Za-z_-])\1*(?![0-9A-Za-z_-]))[0-9A-Za-z_-]{10,}/, cloud: false, needles: ['GR1348941'] },
  { name: 'a GitLab personal access token', re: /\bglpat-(?!([0-9A-Za-z_-])\1*(?![0-9A-Za-z_-]))[0-9A-Za-z_-]{10,}/, cloud: false, needles: ['glpat-'] },
  { name: 'a private key', re: /-----BEGIN [A-Z ]*PRIVATE KEY-----/, cloud: false, needles: ['-----BEGIN'] },
];

/** Keys whose non-empty literal value is a static cloud credential whatever its shape. */
export const CLOUD_KEY_NAMES = ['AccessKey', 'SecretKey', 'SessionToken', 'AccountKey', 'access_key', 'secret_key', 'aws_secret_access_key', 'aws_access_key_id', 'aws_session_token', 'AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SESSION_TOKEN', 'AZURE_CLIENT_SECRET', 'ARM_CLIENT_SECRET', 'ARM_ACCESS_KEY', 'AZURE_STORAGE_KEY', 'AZURE_STORAGE_ACCOUNT_KEY', 'client_secret', 'clientSecret', 'storage_account_access_key', 'primary_access_key'] as const;
const CLOUD_KEYS: ReadonlySet<string> = new Set(CLOUD_KEY_NAMES);
/**
 * gitlab-runner register's environment names for its tokens (`env:"REGISTRATION_TOKEN"` in its
 * commands/register.go, `env:"CI_SERVER_TOKEN"` of RunnerCredentials in common/config.go): a literal
 * value given to one (a container's env entry) is a runner token whatever its shape: older
 * registration tokens carry no GR1348941 prefix.
 */
export const RUNNER_TOKEN_KEY_NAMES = ['REGISTRATION_TOKEN', 'CI_SERVER_TOKEN'] as const;
const RUNNER_TOKEN_KEYS: ReadonlySet<string> = new Set(RUNNER_TOKEN_KEY_NAMES);

/** The texts every credential `credentialIn` or `lineCredential` finds contains one of (a shape's needle or a credential key's name), escaped for a RegExp. */
const escaped = (n: string): string => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
export const CREDENTIAL_NEEDLES: readonly string[] = [...SHAPES.flatMap((s) => s.needles), ...CLOUD_KEY_NAMES, ...RUNNER_TOKEN_KEY_NAMES].map(escaped);
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
    if (m) return { what: s, secret: m[0] };
  }
  const keyed = key !== undefined ? keyCredential(value, key) : undefined;
  return keyed ? { what: keyed, secret: value } : undefined;
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
  // A value of placeholders only is filled in later (a shape inside one is found by its shape).
  const token = RUNNER_TOKEN_KEYS.has(key);
  // `__GITLAB_RUNNER_TOKEN__`, `@TOKEN@`: a marker a later sed or configure step replaces, not a value.
  if ((!CLOUD_KEYS.has(key) && !token) || isReference(value) || value.includes('${') || /^(set-by-|changeme|REPLACE|<)/i.test(value) || /^(__[A-Z0-9_]+__|@[A-Z0-9_]+@)$/.test(value) || placeholdersOnly(value)) return undefined;
  if (token) return { name: `a GitLab runner token (${key})`, re: /./, cloud: false, needles: RUNNER_TOKEN_KEY_NAMES };
  return { name: `a static credential (${key})`, re: /./, cloud: true, needles: CLOUD_KEY_NAMES };
}

/**
 * A Terraform reference written unquoted as the whole value (`access_key = var.x`, `= local.y`,
 * `= data.aws_ssm_parameter.k.value`, `= module.m.out`): an HCL line of a template or of a string
 * that holds Terraform, which takes the value at plan time. Quoted, it is a literal.
 */
const TERRAFORM_REFERENCE = /^(var|local|data|module)\.[A-Za-z_][A-Za-z0-9_.[\]*-]*$/;

/**
 * A credential on one line of a script, template or heredoc: by its shape, else by the key it is
 * assigned to (`KEY=value`; `key = value` and `key: value` too with `yamlOrToml`). `index`..`end`:
 * the key of an assignment, or the text the shape matched.
 */
export function lineCredential(line: string, yamlOrToml: boolean): { what: Shape; secret: string; index: number; end: number; key?: string } | undefined {
  for (const s of SHAPES) {
    const m = s.re.exec(line);
    if (m) return { what: s, secret: m[0], index: m.index, end: m.index + m[0].length };
  }
  const env = (yamlOrToml ? /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_]*)\s*[=:]\s*(["']?)([^"'\s]*)/ : /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_]*)=(["']?)([^"'\s]*)/).exec(line);
  if (!env) return undefined;
  const value = env[4]!;
  // A command substitution (`$(aws ssm get-parameter …)`) reads the value at run time; a template
  // placeholder (`{{ .Values.x }}` of a values string the chart renders, Jinja) is filled in later;
  // an unquoted Terraform reference is taken at plan time.
  if (/^(\$\(|`|\{\{)/.test(value) || (yamlOrToml && /^(true|false|null|~|\d+)$/.test(value)) || (env[3] === '' && TERRAFORM_REFERENCE.test(value))) return undefined;
  const found = credentialIn(value, env[2]);
  return found ? { what: found.what, secret: found.secret, index: env[1]!.length, end: env[0].length, key: env[2]! } : undefined;
}

/**
 * Whether a text (user data: a shell script, cloud-init, a config.toml in a heredoc) holds a
 * credential on any of its lines, by the doctor's line rules. Texts without a needle are not split.
 */
export function holdsCredential(text: string): boolean {
  if (!ANY_NEEDLE.test(text)) return false;
  for (let start = 0; start <= text.length; ) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    if (lineCredential(text.slice(start, end), true) !== undefined) return true;
    if (nl < 0) break;
    start = nl + 1;
  }
  return false;
}

/** Whether a text holds a credential by its shape alone (a serialized document, where lines are escaped). */
export function hasCredentialShape(text: string): boolean {
  return mayHoldShape(text) && SHAPES.some((s) => s.needles.some((n) => text.includes(n)) && s.re.test(text));
}
