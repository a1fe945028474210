import { addHclBody, emptyModule, type ConfigModule, type ConfigModuleCall, type Loc } from './config.js';
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
}

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
  const meta = new Set(['source', 'version', 'count', 'for_each', 'providers', 'depends_on']);
  const other = (call.body?.attrs ?? []).map((a) => a.name).filter((n) => !meta.has(n) && !standIn.reads.has(n));
  if (other.length > 0) return { why: `it sets ${other.join(', ')}, which the doctor's reading of this module does not cover (it reads ${[...standIn.reads].join(', ')})` };
  let body = parsed.get(standIn);
  if (!body) parsed.set(standIn, (body = parseHcl(standIn.hcl)));
  const origin = call.origin;
  const at = call.loc.pos(call.at);
  const loc: Loc = { file: call.loc.file, text: standIn.hcl, pos: () => at };
  const mod: ConfigModule = { ...emptyModule(dir), standIn: true };
  addHclBody(mod, body, loc, () => origin, () => undefined);
  return mod;
}
