import type { Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import { fileSecretFindings, mayHoldSecrets, textSecretFindings } from './secrets.js';
import { SourceFile } from './source.js';
import { isObject } from '../model/is-object.js';
import { RUNNER_TOKEN_ATTRIBUTE_NAMES, runnerTokenVariable } from '../verify/credentials.js';

/**
 * A Terraform or OpenTofu state file found among the files given (`terraform.tfstate`, its
 * backups): the local backend's record of every resource it manages, each attribute in plain
 * text — the values the provider marks sensitive too (a `gitlab_user_runner`'s token, a
 * `random_password`'s result, a private key), since `sensitive` only hides them from the CLI's
 * output (https://developer.hashicorp.com/terraform/language/state/sensitive-data). In a
 * repository it is a leak of its own (RF926), and the credentials the secret scan knows are RF940
 * at their JSON path, never shown.
 *
 * Its resources are not evidence: a state is what the last apply left, not what the configuration
 * says now, and its format is Terraform's internal one (`terraform show -json` is the documented
 * form, and the doctor reads that). Not state: OpenTofu's encrypted state (`encrypted_data`), and
 * the backend's settings `terraform init` keeps in `.terraform/terraform.tfstate` (`backend`),
 * whose credentials are still looked for.
 */

const STATE_FIX = 'keep the state in a remote backend with encryption and narrow access (S3 with SSE-KMS and a bucket policy, azurerm, gcs, the GitLab-managed Terraform state, or OpenTofu state encryption); remove the file from the repository and from its history (git rm --cached, *.tfstate and *.tfstate.* in .gitignore, then rewrite the history), and rotate every secret it held (runner tokens: reset them in GitLab; keys and passwords: revoke and create new ones)';
const CREDENTIAL_FIX = 'rotate it (a runner token: reset it in GitLab; a key: revoke it); the state holds it because Terraform created or read it, so it comes back with every apply: keep the state out of the repository, in a remote backend with encryption (see RF926)';

/** `module.a.module.b.` + `data.` + `type.name` + `["key"]`: the address `terraform state list` prints. */
function addressOf(r: Record<string, unknown>, instance: unknown): string {
  const key = isObject(instance) ? instance.index_key : undefined;
  const index = typeof key === 'string' ? `[${JSON.stringify(key)}]` : typeof key === 'number' ? `[${key}]` : '';
  return `${typeof r.module === 'string' ? `${r.module}.` : ''}${r.mode === 'data' ? 'data.' : ''}${String(r.type)}.${String(r.name)}${index}`;
}

/** The rest of a JSON path after an address, as Terraform writes it: `.attr[0].key`. */
const rest = (path: readonly (string | number)[]): string => path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');

/** A JSON path of the state named as a person finds it: `gitlab_user_runner.this.token`, `output.runner_token`. */
function keyIn(doc: Record<string, unknown>): (path: readonly (string | number)[]) => string {
  return (path) => {
    const resources = Array.isArray(doc.resources) ? doc.resources : [];
    if (path[0] === 'resources' && typeof path[1] === 'number' && isObject(resources[path[1]])) {
      const r = resources[path[1]] as Record<string, unknown>;
      const instances = Array.isArray(r.instances) ? r.instances : [];
      if (path[2] === 'instances' && typeof path[3] === 'number' && path[4] === 'attributes') return `${addressOf(r, instances[path[3]])}${rest(path.slice(5))}`;
      return `${addressOf(r, undefined)}${rest(path.slice(2))}`;
    }
    if (path[0] === 'outputs' && path.length >= 2) return `output.${String(path[1])}${rest(path.slice(3))}`;
    return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
  };
}

const TOKEN_NAMES: ReadonlySet<string> = new Set(RUNNER_TOKEN_ATTRIBUTE_NAMES);
/**
 * The GitLab provider's resources whose `token` attribute is a runner's token: gitlab_user_runner's
 * `token` is the authentication token the runner is created with (the provider's
 * docs/resources/user_runner.md). A `token` of any other resource (a data source aws_eks_cluster_auth,
 * a deploy token) is another credential, found by its shape where it has one.
 */
const RUNNER_TOKEN_TYPES: ReadonlySet<string> = new Set(['gitlab_user_runner', 'gitlab_runner']);

/**
 * Where a state holds a runner token by its name, whatever the value's shape, as a JSON-encoded
 * attribute's keys are read: an attribute named by `RUNNER_TOKEN_ATTRIBUTE_NAMES` at any depth of a
 * resource (`registration_token`, `authentication_token`, `runner_token`…), `token` only as a
 * top-level attribute of a runner resource (`RUNNER_TOKEN_TYPES`), and an output's value by the
 * output's name (`output.runner_token`; not one named just `token`).
 */
function tokenIn(doc: Record<string, unknown>): (path: readonly (string | number)[]) => string | undefined {
  const resources = Array.isArray(doc.resources) ? doc.resources : [];
  return (path) => {
    if (path[0] === 'outputs') return path.length === 3 && path[2] === 'value' && typeof path[1] === 'string' && path[1] !== 'token' && TOKEN_NAMES.has(path[1]) ? path[1] : undefined;
    const key = path[path.length - 1];
    if (typeof key !== 'string' || !TOKEN_NAMES.has(key)) return undefined;
    if (key !== 'token') return key;
    const r: unknown = path[0] === 'resources' && typeof path[1] === 'number' ? resources[path[1]] : undefined;
    return path.length === 6 && path[4] === 'attributes' && isObject(r) && typeof r.type === 'string' && RUNNER_TOKEN_TYPES.has(r.type) ? key : undefined;
  };
}

/** A runner token's name as a key, of the state (`"token":`, an output's name) or of a JSON-encoded attribute (`\"token\":`), which no needle of the scan's prefilter is: such a state is walked too. */
const TOKEN_KEY = new RegExp(`\\\\?"(?:${RUNNER_TOKEN_ATTRIBUTE_NAMES.join('|')})\\\\?"`);

/** The findings of one file whose name says it is a state (`isTerraformStateName`); `text` undefined: not read (over the size limit). */
export function stateFindings(path: string, text: string | undefined, limitMiB: number): Finding[] {
  const at = `${path}:1:1`;
  const leak = (what: string): Finding => ({ code: 'RF926', severity: CODES.RF926.severity, path: at, message: `${path} is a Terraform state file${what}: a state holds every attribute of every resource it records in plain text, the ones marked sensitive too (runner tokens of gitlab_user_runner, random_password results, private keys), so whoever can read the repository can read them; its resources are not read as evidence (a state is what the last apply left, not the configuration)`, fix: STATE_FIX });
  if (text === undefined) return [leak(` (not read: over ${limitMiB} MiB, so the credentials in it are not looked for)`)];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // Not JSON: damaged, or encrypted by another tool (git-crypt, SOPS). Its lines are still scanned.
    return [{ code: 'RF902', severity: CODES.RF902.severity, path: at, message: `${path} has a state file's name but is not JSON (damaged, or encrypted by a tool of its own), so it is not read as a state; only its lines are looked at for credentials`, fix: 'if it is a state in plain text, keep it out of the repository (see RF926)' }, ...textSecretFindings(path, text)];
  }
  if (!isObject(doc)) return [];
  const source = new SourceFile(path, text, 'json');
  const scan = (fix?: string) => (mayHoldSecrets(text) || TOKEN_KEY.test(text) ? fileSecretFindings(source, [doc], false, fix !== undefined ? { keyOf: keyIn(doc), fix, decodeJson: true, tokenAt: tokenIn(doc) } : undefined) : []);
  if (typeof doc.encrypted_data === 'string' && doc.encryption_version !== undefined) {
    return [{ code: 'RF902', severity: CODES.RF902.severity, path: at, message: `${path} is a state OpenTofu encrypted (state encryption${typeof doc.encryption_version === 'string' ? `, encryption_version ${doc.encryption_version}` : ""}): nothing in it is in plain text, and it is not read`, fix: 'keep the encryption key out of the repository; a remote backend is still the place for a state' }];
  }
  // `terraform init`'s record of the backend (`.terraform/terraform.tfstate`): settings, not resources.
  if (isObject(doc.backend) && !Array.isArray(doc.resources)) return scan();
  if (!Array.isArray(doc.resources) && !Array.isArray(doc.modules)) {
    return [{ code: 'RF902', severity: CODES.RF902.severity, path: at, message: `${path} has a state file's name but is no state (no resources), so it is not read as one`, fix: 'give Terraform files, or `terraform show -json` of a plan or state' }, ...scan()];
  }
  // v4 keeps resources in a list; v3 (Terraform before 0.12) per module.
  const resources = Array.isArray(doc.resources) ? doc.resources.filter(isObject) : [];
  // An empty state (after destroy, or before the first apply) holds nothing yet: not RF926, which says it holds secrets.
  const holds = Array.isArray(doc.modules) || resources.some((r) => Array.isArray(r.instances) && r.instances.length > 0) || (isObject(doc.outputs) && Object.keys(doc.outputs).length > 0);
  if (!holds) return [{ code: 'RF902', severity: CODES.RF902.severity, path: at, message: `${path} is an empty Terraform state (no resource instances, no outputs): nothing is in it now, but the local backend writes every attribute of what it applies there, secrets in plain text included`, fix: STATE_FIX }, ...scan()];
  const sensitive: string[] = [];
  for (const r of resources) for (const inst of Array.isArray(r.instances) ? r.instances : []) if (isObject(inst) && Array.isArray(inst.sensitive_attributes) && inst.sensitive_attributes.length > 0) sensitive.push(addressOf(r, inst));
  const count = Array.isArray(doc.resources) ? ` of ${resources.length} resource(s)` : ' (Terraform 0.11 or older)';
  const marked = sensitive.length > 0 ? `; values marked sensitive are held for ${sensitive.slice(0, 5).join(', ')}${sensitive.length > 5 ? ` and ${sensitive.length - 5} more` : ''}` : '';
  return [leak(`${count}${marked}`), ...scan(CREDENTIAL_FIX)];
}

/** A runner token's name, or a longer name ending in one (`gitlab_runner_registration_token`): `runnerTokenVariable`. */
const tokenName = runnerTokenVariable;

const SHOW_FIX = 'rotate it (a runner token: reset it in GitLab); `terraform show -json` prints every value in plain text, the variables and those marked sensitive too, so keep plan and state JSON out of the repository (attach it to the pipeline as an artifact with a short expiry, or give it to the doctor from outside the repository)';

/**
 * The credentials of a `terraform show -json` document (plan or state) the doctor reads as evidence:
 * the scan of every file, with the document's own names. Terraform prints every value there in
 * plain text, variables and values marked sensitive included (the `terraform show` command's page,
 * https://developer.hashicorp.com/terraform/cli/commands/show: with -json "any sensitive values in
 * Terraform state will be displayed in plain text"), so a runner token is found by the name it is given, whatever its shape:
 * a variable's value by the variable's name (`variables.registration_token.value`, a 20-character
 * registration token of an older GitLab has no shape of its own), a resource's attribute by its name
 * at any depth (`token` only at the top of a gitlab_user_runner or gitlab_runner), an output's value
 * by the output's name, with the longer names modules give them too (`gitlab_runner_registration_token`).
 */
export function showSecretFindings(source: SourceFile, text: string, doc: Record<string, unknown>): Finding[] {
  if (!mayHoldSecrets(text) && !SHOW_TOKEN_KEY.test(text)) return [];
  const resourceAt = (path: readonly (string | number)[]): { address: string; type: string; after: number } | undefined => {
    // …resources[i].values.<attr> (planned_values, values, prior_state.values), resource_changes[i].change.<before|after>.<attr>
    let node: unknown = doc;
    for (let i = 0; i < path.length; i++) {
      if (!isObject(node) && !Array.isArray(node)) return undefined;
      node = (node as Record<string | number, unknown>)[path[i]!];
      const next = path[i + 1];
      if (isObject(node) && typeof node.address === 'string' && typeof node.type === 'string') {
        if (next === 'values') return { address: node.address, type: node.type, after: i + 2 };
        if (next === 'change' && (path[i + 2] === 'after' || path[i + 2] === 'before')) return { address: node.address, type: node.type, after: i + 3 };
      }
    }
    return undefined;
  };
  const keyOf = (path: readonly (string | number)[]): string => {
    if (path[0] === 'variables' && typeof path[1] === 'string') return `var.${path[1]}${rest(path.slice(3))}`;
    const r = resourceAt(path);
    if (r) return `${r.address}${rest(path.slice(r.after))}${path.includes('change') ? ` (resource_changes, ${String(path[path.indexOf('change') + 1])})` : ''}`;
    const o = path.indexOf('outputs');
    if (o >= 0 && typeof path[o + 1] === 'string') return `output.${String(path[o + 1])}${rest(path.slice(o + 3))}`;
    return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
  };
  const tokenAt = (path: readonly (string | number)[]): string | undefined => {
    if (path[0] === 'variables') return path.length === 3 && path[2] === 'value' && typeof path[1] === 'string' && tokenName(path[1]) ? path[1] : undefined;
    const o = path.indexOf('outputs');
    if (o >= 0 && o < path.length - 1 && path[path.length - 1] === 'value' && typeof path[o + 1] === 'string') return o + 3 === path.length && tokenName(path[o + 1] as string) ? (path[o + 1] as string) : undefined;
    const key = path[path.length - 1];
    if (typeof key !== 'string') return undefined;
    if (tokenName(key)) return key;
    if (key !== 'token') return undefined;
    const r = resourceAt(path);
    return r && r.after === path.length - 1 && RUNNER_TOKEN_TYPES.has(r.type) ? key : undefined;
  };
  return fileSecretFindings(source, [doc], false, { keyOf, fix: SHOW_FIX, decodeJson: true, tokenAt });
}

/** A key the show reader judges by its name (`tokenName`), which no needle of the scan's prefilter is. */
const SHOW_TOKEN_KEY = new RegExp(`"(?:[A-Za-z0-9_]*_)?(?:${RUNNER_TOKEN_ATTRIBUTE_NAMES.join('|')})"`);
