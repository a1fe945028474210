import { addHclBody, emptyModule, MODULE_META, type ConfigModule, type ConfigModuleCall, type Loc } from './config.js';
import { parseHcl } from './parse.js';

/**
 * Public registry modules the doctor reads as what they are documented to create, so a deployment
 * that calls one is proven instead of stopping at "module not read" (RF903). Each is a stand-in
 * written here in HCL from the module's documented inputs and behaviour (not the module's code),
 * covering only the arguments listed in `reads`: a call that sets any other argument may change
 * what the module creates, so it is not read (RF903 as for any registry module). Everything the
 * stand-in creates is located at the module block of the call.
 */
interface StandIn {
  /** The sources that name it: registry address or the git repository, with the sub-module path. */
  source: RegExp;
  /** Arguments the stand-in models; the call's other arguments leave the module unread. */
  reads: Set<string>;
  hcl: string;
  /**
   * The releases the stand-in is true for, [from, before): a call must pin a version (registry:
   * `version`, git: `?ref=v<version>`) that admits no release outside them, else it is not read.
   */
  releases: { from: Version; before: Version };
}

type Version = [number, number, number];

/**
 * terraform-aws-modules/iam `iam-role-for-service-accounts-eks` (v5): one IAM role named `role_name`
 * that each entry of `oidc_providers` ({ provider_arn, namespace_service_accounts = ["ns:sa"] }) may
 * assume through `sts:AssumeRoleWithWebIdentity`, with `<issuer host path>:sub` over
 * `system:serviceaccount:<ns>:<sa>` and `:aud` = `sts.amazonaws.com`, both under
 * `assume_role_condition_test` (default StringEquals); the managed policies of `role_policy_arns`
 * attached; outputs `iam_role_arn` and `iam_role_name`.
 */
const IRSA_EKS_V5: StandIn = {
  source: /^(?:(?:registry\.terraform\.io\/)?terraform-aws-modules\/iam\/aws|(?:git::)?(?:https:\/\/|ssh:\/\/git@|git@)github\.com[/:]terraform-aws-modules\/terraform-aws-iam(?:\.git)?)\/\/modules\/iam-role-for-service-accounts-eks(?:\?ref=[^/]*)?\/?$/,
  reads: new Set(['role_name', 'oidc_providers', 'role_policy_arns', 'assume_role_condition_test', 'role_description', 'tags', 'force_detach_policies', 'max_session_duration']),
  // The `:aud` condition came in 4.21.1 (earlier releases pin only `:sub`); 6.0.0 renamed the
  // sub-module (iam-role-for-service-accounts), so no later release has this path.
  releases: { from: [4, 21, 1], before: [6, 0, 0] },
  hcl: `
variable "role_name" {
  default = null
}
variable "oidc_providers" {
  default = {}
}
variable "role_policy_arns" {
  default = {}
}
variable "assume_role_condition_test" {
  default = "StringEquals"
}
variable "role_description" {
  default = null
}
variable "tags" {
  default = {}
}
variable "force_detach_policies" {
  default = true
}
variable "max_session_duration" {
  default = null
}

data "aws_iam_policy_document" "this" {
  dynamic "statement" {
    for_each = var.oidc_providers
    content {
      effect  = "Allow"
      actions = ["sts:AssumeRoleWithWebIdentity"]
      principals {
        type        = "Federated"
        identifiers = [statement.value.provider_arn]
      }
      condition {
        test     = var.assume_role_condition_test
        variable = "\${replace(statement.value.provider_arn, "/^(.*provider/)/", "")}:sub"
        values   = [for sa in statement.value.namespace_service_accounts : "system:serviceaccount:\${sa}"]
      }
      condition {
        test     = var.assume_role_condition_test
        variable = "\${replace(statement.value.provider_arn, "/^(.*provider/)/", "")}:aud"
        values   = ["sts.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.role_name
  assume_role_policy = data.aws_iam_policy_document.this.json
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each   = var.role_policy_arns
  role       = aws_iam_role.this.name
  policy_arn = each.value
}

output "iam_role_arn" {
  value = aws_iam_role.this.arn
}
output "iam_role_name" {
  value = aws_iam_role.this.name
}
`,
};

const STAND_INS: readonly StandIn[] = [IRSA_EKS_V5];

const parsed = new Map<StandIn, ReturnType<typeof parseHcl>>();

/**
 * The stand-in module for a registry or git `source`, built for one call (everything it creates is
 * located at that call's module block); `{ why }` when the call sets an argument the stand-in does
 * not model; undefined when no stand-in names that source.
 */
export function registryModule(source: string, call: ConfigModuleCall, dir: string): ConfigModule | { why: string } | undefined {
  const standIn = STAND_INS.find((s) => s.source.test(source));
  if (!standIn || !call.origin) return undefined;
  const other = (call.body?.attrs ?? []).map((a) => a.name).filter((n) => !MODULE_META.has(n) && !standIn.reads.has(n));
  if (other.length > 0) return { why: `it sets ${other.join(', ')}, which the doctor's reading of this module does not cover (it reads ${[...standIn.reads].join(', ')})` };
  const outside = outsideReleases(standIn, source, call);
  if (outside !== undefined) return { why: outside };
  let body = parsed.get(standIn);
  if (!body) parsed.set(standIn, (body = parseHcl(standIn.hcl)));
  const origin = call.origin;
  const at = call.loc.pos(call.at);
  const loc: Loc = { file: call.loc.file, text: standIn.hcl, pos: () => at };
  const mod: ConfigModule = { ...emptyModule(dir), standIn: true };
  addHclBody(mod, body, loc, () => origin, () => undefined);
  return mod;
}

const shown = (v: Version): string => v.join('.');
const compare = (a: Version, b: Version): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/**
 * Why the call may get a release the stand-in is not true for, or undefined when every release
 * its version constraint (registry) or ref (git) admits lies in `standIn.releases`.
 */
function outsideReleases(standIn: StandIn, source: string, call: ConfigModuleCall): string | undefined {
  const range = `${shown(standIn.releases.from)} up to before ${shown(standIn.releases.before)}`;
  const ref = /\?(?:.*&)?ref=([^&]*)/.exec(source)?.[1];
  if (/^(?:git::|https:\/\/|ssh:\/\/|git@)/.test(source)) {
    const tag = ref !== undefined ? /^v?(\d+)\.(\d+)\.(\d+)$/.exec(ref) : null;
    if (!tag) return `its ref ${ref === undefined ? '(none: the default branch)' : JSON.stringify(ref)} is not a release tag, and the doctor reads only releases ${range} of this module`;
    const v: Version = [Number(tag[1]), Number(tag[2]), Number(tag[3])];
    return compare(v, standIn.releases.from) >= 0 && compare(v, standIn.releases.before) < 0 ? undefined : `its ref ${ref} is outside releases ${range}, the ones the doctor reads`;
  }
  const text = call.version;
  if (text === undefined) return `it pins no literal version, and the doctor reads only releases ${range} of this module (the newest release has no such sub-module)`;
  const admitted = admittedRange(text);
  if (admitted === undefined) return `its version constraint ${JSON.stringify(text)} is not one the doctor reads`;
  const { low, high } = admitted;
  const inside = low !== undefined && compare(low, standIn.releases.from) >= 0 && high !== undefined && (compare(high.v, standIn.releases.before) < 0 || (compare(high.v, standIn.releases.before) === 0 && !high.inclusive));
  return inside ? undefined : `its version constraint ${JSON.stringify(text)} admits releases outside ${range}, the ones the doctor reads`;
}

/**
 * The bounds a Terraform version constraint admits (`=`, `>=`, `>`, `<=`, `<`, `~>`, `!=`, comma-
 * separated): the least version admitted at or above `low` (a `>` bound is raised past the version
 * by one patch, which a lower bound check needs only to be no lower) and the highest bound. A
 * pre-release or unknown operator gives undefined.
 */
function admittedRange(text: string): { low?: Version; high?: { v: Version; inclusive: boolean } } | undefined {
  let low: Version | undefined;
  let high: { v: Version; inclusive: boolean } | undefined;
  const raise = (v: Version) => { if (low === undefined || compare(v, low) > 0) low = v; };
  const cap = (v: Version, inclusive: boolean) => { if (high === undefined || compare(v, high.v) < 0 || (compare(v, high.v) === 0 && !inclusive)) high = { v, inclusive }; };
  for (const part of text.split(',')) {
    const m = /^\s*(=|!=|>=|>|<=|<|~>)?\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$/.exec(part);
    if (!m) return undefined;
    const given = [m[3], m[4]].filter((x) => x !== undefined).length + 1;
    const v: Version = [Number(m[2]), Number(m[3] ?? 0), Number(m[4] ?? 0)];
    switch (m[1] ?? '=') {
      case '=': raise(v); cap(v, true); break;
      case '!=': break;
      case '>=': raise(v); break;
      case '>': raise([v[0], v[1], v[2] + 1]); break;
      case '<=': cap(v, true); break;
      case '<': cap(v, false); break;
      case '~>': {
        // ~> 5 and ~> 5.0 admit 5.x; ~> 5.30.1 admits 5.30.x.
        raise(v);
        cap(given === 3 ? [v[0], v[1] + 1, 0] : [v[0] + 1, 0, 0], false);
        break;
      }
    }
  }
  return { low, high };
}
