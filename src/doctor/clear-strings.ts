import { isObject } from '../model/is-object.js';
import type { Evidence } from './evidence.js';
import { afterSensitiveOf } from './show-json.js';
import { wholeWordAt } from './sensitive.js';

/**
 * The strings the files given show in clear: what hiding a sensitive value cannot keep secret.
 *
 * Terraform marks a whole value sensitive when any part of it comes from a sensitive variable: the
 * chart's `values = [templatefile("values.yaml", { token = var.runner_token })]` makes every string
 * of the values sensitive, the namespace and the role ARN as much as the token. Hiding all of them
 * left nothing to read ("make the trust policy name system:serviceaccount:(sensitive, not
 * shown):(sensitive, not shown)"), though the same names are written in clear beside them (the
 * role's own `name`, its trust policy, the ServiceAccount's manifest). A sensitive string shown in
 * clear elsewhere is shown; one shown only inside sensitive values stays hidden.
 *
 * Read in clear:
 * - `terraform show -json` resources: their values outside what the document marks sensitive
 *   (`sensitive_values`, a plan's `after_sensitive`); never a plan's `variables` or configuration;
 * - Terraform configuration resources and data sources (.tf, .tf.json) and the YAML, JSON and TOML
 *   documents (Kubernetes Secrets' values are already dropped when read).
 * Never read as clear, whatever their marks: resources that hold secrets (Secrets, SSM parameters,
 * passwords, keys) and keys named like a credential (`token`, `secret`, `password`, `access_key`,
 * `private_key`); shell scripts (user data) are not read at all.
 */
export class ClearStrings {
  readonly #whole = new Set<string>();
  /** Every maximal run of word characters (as wholeWordAt bounds a word) of a string in clear. */
  readonly #words = new Set<string>();
  readonly #parts: string[] = [];
  #joined: string | undefined;

  add(s: string): void {
    if (s === '' || this.#whole.has(s)) return;
    this.#whole.add(s);
    this.#parts.push(s);
    this.#joined = undefined;
    for (const w of s.match(WORDS) ?? []) this.#words.add(w);
  }

  /** Whether `needle` is written in clear: a whole string, a word of one, or inside one between non-word characters. */
  has(needle: string): boolean {
    if (this.#whole.has(needle)) return true;
    if (ONE_WORD.test(needle)) return this.#words.has(needle);
    this.#joined ??= this.#parts.join('\n');
    const text = this.#joined;
    for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) if (wholeWordAt(text, i, needle)) return true;
    return false;
  }
}

const WORDS = /[A-Za-z0-9_-]+/g;
const ONE_WORD = /^[A-Za-z0-9_-]+$/;

/** Keys whose values are credentials whatever the resource (a value under them is never taken as clear). */
const SECRET_KEY = /token|secret|passw|credential|private_?key|access_?key|account_?key|connection_?string|sensitive|\bsas/i;
/** Resource types that hold secrets: nothing of theirs is taken as clear. */
const SECRET_TYPE = /secret|password|private_key|access_key|ssm_parameter|key_vault_key|_token/i;

/** Where a key's value is not taken as clear. */
const secretKey = (k: string | number): boolean => typeof k === 'string' && SECRET_KEY.test(k);

/** Every string leaf of `value` outside the subtrees `marks` marks sensitive (true) and outside credential keys. */
function addUnmarked(out: ClearStrings, value: unknown, marks: readonly unknown[]): void {
  const stack: [unknown, readonly unknown[]][] = [[value, marks]];
  while (stack.length > 0) {
    const [v, ms] = stack.pop()!;
    if (ms.some((m) => m === true)) continue;
    if (typeof v === 'string') out.add(v);
    else if (Array.isArray(v)) v.forEach((x, i) => stack.push([x, ms.map((m) => (Array.isArray(m) ? (m[i] as unknown) : undefined)).filter((m) => m !== undefined)]));
    else if (isObject(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (secretKey(k)) continue;
        stack.push([x, ms.map((m) => (isObject(m) && Object.hasOwn(m, k) ? m[k] : undefined)).filter((m) => m !== undefined)]);
      }
    }
  }
}

/** The resources of a `terraform show -json` module and its children, each with its sensitive marks. */
function addShown(out: ClearStrings, module: unknown, afterSensitive: ReadonlyMap<string, unknown>): void {
  if (!isObject(module)) return;
  for (const r of Array.isArray(module.resources) ? module.resources : []) {
    if (!isObject(r) || typeof r.type !== 'string' || SECRET_TYPE.test(r.type)) continue;
    const marks = [r.sensitive_values, typeof r.address === 'string' ? afterSensitive.get(r.address) : undefined].filter((m) => m !== undefined);
    addUnmarked(out, r.values, marks);
  }
  for (const c of Array.isArray(module.child_modules) ? module.child_modules : []) addShown(out, c, afterSensitive);
}

/** The strings the evidence shows in clear (see ClearStrings). */
export function clearStringsOf(ev: Evidence): ClearStrings {
  const out = new ClearStrings();
  const shown = new Set<string>();
  for (const s of ev.terraform.shows ?? []) {
    shown.add(s.origin.source.path);
    addShown(out, s.module, afterSensitiveOf(s.changes));
  }
  // The configuration's resources: those a `terraform show -json` document gave are its own, read above with their marks.
  for (const block of ['resource', 'data'] as const) {
    for (const [type, byName] of Object.entries(ev.terraform[block])) {
      if (SECRET_TYPE.test(type)) continue;
      for (const [name, body] of Object.entries(byName)) {
        const origin = ev.terraform.origins.get(`${block === 'data' ? 'data.' : ''}${type}.${name}`);
        if (origin === undefined || shown.has(origin.source.path)) continue;
        addUnmarked(out, body, []);
      }
    }
  }
  for (const a of ev.artifacts) {
    if ((a.format !== 'yaml' && a.format !== 'toml') || shown.has(a.path)) continue;
    addUnmarked(out, a.content, []);
  }
  return out;
}
