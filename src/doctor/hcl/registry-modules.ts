import { addHclBody, emptyModule, MODULE_META, type ConfigModule, type ConfigModuleCall, type Loc } from './config.js';
import { parseHcl } from './parse.js';
import type { Unknown, Value } from './eval.js';

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
  /** Why a call that pins no version may get a release outside `releases`. */
  unpinned: string;
  /** How a call gives the role a name known before apply, where by default the module names it by a prefix. */
  named?: string;
}

type Version = [number, number, number];

/**
 * The sources naming a module of terraform-aws-modules: its registry address (`registry`, e.g.
 * `terraform-aws-modules/iam/aws`) or its GitHub repository (`repo`), then the sub-module path
 * (`//modules/<name>`, empty for the root module) and, for git, an optional `?ref=`.
 */
function sourceOf(registry: string, repo: string, sub: string): RegExp {
  const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`^(?:(?:registry\\.terraform\\.io/)?${esc(registry)}|(?:git::)?(?:https://|ssh://git@|git@)github\\.com[/:]terraform-aws-modules/${esc(repo)}(?:\\.git)?)${esc(sub)}(?:\\?ref=[^/]*)?/?$`);
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
  source: sourceOf('terraform-aws-modules/iam/aws', 'terraform-aws-iam', '//modules/iam-role-for-service-accounts-eks'),
  reads: new Set(['role_name', 'oidc_providers', 'role_policy_arns', 'assume_role_condition_test', 'role_description', 'tags', 'force_detach_policies', 'max_session_duration']),
  // The `:aud` condition came in 4.21.1 (earlier releases pin only `:sub`); 6.0.0 renamed the
  // sub-module (iam-role-for-service-accounts), so no later release has this path.
  releases: { from: [4, 21, 1], before: [6, 0, 0] },
  unpinned: 'the newest release has no such sub-module',
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

/**
 * Policy statements given as objects of the `iam_policy_document` statement shape (sid, effect,
 * actions, not_actions, resources, not_resources, principals, not_principals, condition), each
 * attribute optional. The modules type them with optional attributes, which Terraform fills with
 * null; the readings here declare their variables without a type, so `local.<name>` fills them,
 * attribute by attribute, without touching values only apply knows (try() and lookup() would).
 */
const STATEMENT_ATTRIBUTES = '["sid", "effect", "actions", "not_actions", "resources", "not_resources", "principals", "not_principals", "condition"]';
const statementsLocal = (name: string, from: string): string => `
locals {
  ${name} = { for k, s in ${from} : k => { for a in ${STATEMENT_ATTRIBUTES} : a => contains([for x, y in s : x], a) ? s[a] : null } }
}
`;
/** One `statement` per element of `local.<name>`; `sid` falls back to `fallbackSid` (an HCL expression over `statement`). */
const statementsDynamic = (name: string, fallbackSid: string): string => `
  dynamic "statement" {
    for_each = local.${name}
    content {
      sid           = statement.value.sid != null ? statement.value.sid : ${fallbackSid}
      effect        = statement.value.effect != null ? statement.value.effect : "Allow"
      actions       = statement.value.actions
      not_actions   = statement.value.not_actions
      resources     = statement.value.resources
      not_resources = statement.value.not_resources
      dynamic "principals" {
        for_each = statement.value.principals != null ? statement.value.principals : []
        content {
          type        = principals.value.type
          identifiers = principals.value.identifiers
        }
      }
      dynamic "not_principals" {
        for_each = statement.value.not_principals != null ? statement.value.not_principals : []
        content {
          type        = not_principals.value.type
          identifiers = not_principals.value.identifiers
        }
      }
      dynamic "condition" {
        for_each = statement.value.condition != null ? statement.value.condition : []
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
`;

/**
 * terraform-aws-modules/iam `iam-role-for-service-accounts` (v6; read at tags v6.0.0 … v6.5.0,
 * commit 981121b): the v5 `iam-role-for-service-accounts-eks` renamed, with new argument names.
 * One IAM role (`name`, or with `use_name_prefix`, true by default, a name Terraform picks at apply
 * from the prefix `<name>-`) that each `oidc_providers` entry ({ provider_arn,
 * namespace_service_accounts = ["ns:sa"] }) may assume through sts:AssumeRoleWithWebIdentity, its
 * `<issuer host path>:sub` over `system:serviceaccount:<ns>:<sa>` and `:aud` = `sts.amazonaws.com`,
 * both under `trust_condition_test` (default StringEquals); the managed policies of `policies`
 * attached; a customer managed policy from `permissions` (statements keyed by their default sid,
 * effect Allow by default) and `source_policy_documents` / `override_policy_documents`, created
 * and attached when any of them is given and `create_policy` (default true) holds; an inline
 * policy from `inline_policy_permissions` and the inline documents when `create_inline_policy`.
 * Outputs `arn`, `name`, `path`, `unique_id`, `iam_policy_arn`, `iam_policy`.
 */
const IRSA_V6: StandIn = {
  source: sourceOf('terraform-aws-modules/iam/aws', 'terraform-aws-iam', '//modules/iam-role-for-service-accounts'),
  reads: new Set(['name', 'use_name_prefix', 'path', 'description', 'max_session_duration', 'tags', 'trust_condition_test', 'oidc_providers', 'policies', 'create_policy', 'policy_name', 'policy_description', 'permissions', 'source_policy_documents', 'override_policy_documents', 'create_inline_policy', 'inline_policy_permissions', 'source_inline_policy_documents', 'override_inline_policy_documents']),
  // 6.0.0 introduced this sub-module; up to 6.5.0 the trust, the role and the policies built from
  // these arguments are unchanged (6.0.1 stopped creating an empty policy when no statement is
  // given: an empty policy grants nothing, so both read the same). A later major may change them.
  releases: { from: [6, 0, 0], before: [7, 0, 0] },
  unpinned: 'Terraform takes the newest release, which may be a later major',
  named: 'set use_name_prefix = false (the role is then named `name`)',
  hcl: `
variable "name" {
  default = ""
}
variable "use_name_prefix" {
  default = true
}
variable "path" {
  default = "/"
}
variable "description" {
  default = null
}
variable "max_session_duration" {
  default = null
}
variable "tags" {
  default = {}
}
variable "trust_condition_test" {
  default = "StringEquals"
}
variable "oidc_providers" {
  default = {}
}
variable "policies" {
  default = {}
}
variable "create_policy" {
  default = true
}
variable "policy_name" {
  default = null
}
variable "policy_description" {
  default = null
}
variable "permissions" {
  default = null
}
variable "source_policy_documents" {
  default = []
}
variable "override_policy_documents" {
  default = []
}
variable "create_inline_policy" {
  default = false
}
variable "inline_policy_permissions" {
  default = null
}
variable "source_inline_policy_documents" {
  default = []
}
variable "override_inline_policy_documents" {
  default = []
}

data "aws_iam_policy_document" "assume" {
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
        test     = var.trust_condition_test
        variable = "\${replace(statement.value.provider_arn, "/^(.*provider/)/", "")}:sub"
        values   = [for sa in statement.value.namespace_service_accounts : "system:serviceaccount:\${sa}"]
      }
      condition {
        test     = var.trust_condition_test
        variable = "\${replace(statement.value.provider_arn, "/^(.*provider/)/", "")}:aud"
        values   = ["sts.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role" "this" {
  name                  = var.use_name_prefix ? null : var.name
  name_prefix           = var.use_name_prefix ? "\${var.name}-" : null
  path                  = var.path
  description           = var.description
  assume_role_policy    = data.aws_iam_policy_document.assume.json
  max_session_duration  = var.max_session_duration
  force_detach_policies = true
  tags                  = var.tags
}

resource "aws_iam_role_policy_attachment" "additional" {
  for_each   = var.policies
  role       = aws_iam_role.this.name
  policy_arn = each.value
}
${statementsLocal('permissions', '(var.permissions != null ? var.permissions : {})')}
locals {
  # 6.0.1 on: a policy only when there is something to put in it.
  create_policy = var.create_policy && (var.source_policy_documents != [] || var.override_policy_documents != [] || var.permissions != null)
}

data "aws_iam_policy_document" "this" {
  count                     = local.create_policy ? 1 : 0
  source_policy_documents   = var.source_policy_documents
  override_policy_documents = var.override_policy_documents
${statementsDynamic('permissions', 'statement.key')}}

resource "aws_iam_policy" "this" {
  count       = local.create_policy ? 1 : 0
  name        = var.use_name_prefix ? null : coalesce(var.policy_name, var.name, "default")
  name_prefix = var.use_name_prefix ? "\${coalesce(var.policy_name, var.name, "default")}-" : null
  description = var.policy_description
  policy      = data.aws_iam_policy_document.this[0].json
  tags        = var.tags
}

resource "aws_iam_role_policy_attachment" "this" {
  count      = local.create_policy ? 1 : 0
  role       = aws_iam_role.this.name
  policy_arn = aws_iam_policy.this[0].arn
}
${statementsLocal('inline_permissions', '(var.inline_policy_permissions != null ? var.inline_policy_permissions : {})')}
data "aws_iam_policy_document" "inline" {
  count                     = var.create_inline_policy ? 1 : 0
  source_policy_documents   = var.source_inline_policy_documents
  override_policy_documents = var.override_inline_policy_documents
${statementsDynamic('inline_permissions', 'statement.key')}}

resource "aws_iam_role_policy" "inline" {
  count       = var.create_inline_policy ? 1 : 0
  role        = aws_iam_role.this.name
  name        = var.use_name_prefix ? null : var.name
  name_prefix = var.use_name_prefix ? "\${var.name}-" : null
  policy      = data.aws_iam_policy_document.inline[0].json
}

output "arn" {
  value = aws_iam_role.this.arn
}
output "name" {
  value = aws_iam_role.this.name
}
output "iam_policy_arn" {
  value = local.create_policy ? aws_iam_policy.this[0].arn : null
}
output "iam_policy" {
  value = local.create_policy ? aws_iam_policy.this[0].policy : null
}
output "path" {
  value = var.path
}
output "unique_id" {
  value = aws_iam_role.this.unique_id
}
`,
};

/**
 * terraform-aws-modules/eks-pod-identity (v2; read at tags v2.0.0 … v2.8.1, commit 2cbd87e): one
 * IAM role (`name`, or with `use_name_prefix`, true by default, a name picked at apply from
 * `<name>-`) that EKS Pod Identity may assume: one statement allowing the service principal
 * `pods.eks.amazonaws.com` sts:AssumeRole and sts:TagSession under the conditions of
 * `trust_policy_conditions` ({ test, variable, values }; none by default), then the statements of
 * `trust_policy_statements`. The managed policies of `additional_policy_arns` attached; with
 * `attach_custom_policy` (default false) a customer managed policy from `policy_statements` (a list
 * of statements), `source_policy_documents` and `override_policy_documents`, attached. One
 * aws_eks_pod_identity_association per `associations` entry ({ cluster_name, namespace,
 * service_account, … }) binding that service account of that cluster to the role. Outputs
 * `iam_role_arn`, `iam_role_name`, `iam_role_path`, `iam_role_unique_id`, `iam_policy_arn`,
 * `iam_policy_name`, `iam_policy_id`, `associations`.
 */
const POD_IDENTITY_V2: StandIn = {
  source: sourceOf('terraform-aws-modules/eks-pod-identity/aws', 'terraform-aws-eks-pod-identity', ''),
  // Not read: association_defaults (each entry's own values only), permissions_boundary_arn,
  // region, the attach_*_policy presets for cluster add-ons.
  reads: new Set(['name', 'use_name_prefix', 'path', 'description', 'max_session_duration', 'tags', 'trust_policy_conditions', 'trust_policy_statements', 'additional_policy_arns', 'associations', 'attach_custom_policy', 'custom_policy_description', 'policy_statements', 'source_policy_documents', 'override_policy_documents', 'policy_name_prefix']),
  // 2.0.0 typed the inputs (statement conditions under `condition`, 1.x read `conditions`) and
  // added per-association target_role_arn and disable_session_tags; up to 2.8.1 the trust, the role,
  // the custom policy and the associations are unchanged. A later major may change them.
  releases: { from: [2, 0, 0], before: [3, 0, 0] },
  unpinned: 'Terraform takes the newest release, which may be a later major',
  named: 'set use_name_prefix = false (the role is then named `name`)',
  hcl: `
variable "name" {
  default = ""
}
variable "use_name_prefix" {
  default = true
}
variable "path" {
  default = "/"
}
variable "description" {
  default = null
}
variable "max_session_duration" {
  default = null
}
variable "tags" {
  default = {}
}
variable "trust_policy_conditions" {
  default = []
}
variable "trust_policy_statements" {
  default = null
}
variable "additional_policy_arns" {
  default = {}
}
variable "associations" {
  default = {}
}
variable "attach_custom_policy" {
  default = false
}
variable "custom_policy_description" {
  default = "Custom IAM Policy"
}
variable "policy_statements" {
  default = null
}
variable "source_policy_documents" {
  default = []
}
variable "override_policy_documents" {
  default = []
}
# Names only the add-on presets' policies, which are not read.
variable "policy_name_prefix" {
  default = "AmazonEKS_"
}
${statementsLocal('trust_statements', '(var.trust_policy_statements != null ? var.trust_policy_statements : [])')}
data "aws_iam_policy_document" "assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole", "sts:TagSession"]
    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }
    dynamic "condition" {
      for_each = var.trust_policy_conditions
      content {
        test     = condition.value.test
        variable = condition.value.variable
        values   = condition.value.values
      }
    }
  }
${statementsDynamic('trust_statements', 'null')}}

resource "aws_iam_role" "this" {
  name                  = var.use_name_prefix ? null : var.name
  name_prefix           = var.use_name_prefix ? "\${var.name}-" : null
  path                  = var.path
  description           = var.description
  assume_role_policy    = data.aws_iam_policy_document.assume.json
  max_session_duration  = var.max_session_duration
  force_detach_policies = true
  tags                  = var.tags
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each   = var.additional_policy_arns
  role       = aws_iam_role.this.name
  policy_arn = each.value
}
${statementsLocal('policy_statements', '(var.policy_statements != null ? var.policy_statements : [])')}
data "aws_iam_policy_document" "base" {
  count                     = var.attach_custom_policy ? 1 : 0
  source_policy_documents   = var.source_policy_documents
  override_policy_documents = var.override_policy_documents
${statementsDynamic('policy_statements', 'null')}}

resource "aws_iam_policy" "custom" {
  count       = var.attach_custom_policy ? 1 : 0
  name        = var.use_name_prefix ? null : var.name
  name_prefix = var.use_name_prefix ? "\${var.name}-" : null
  description = var.custom_policy_description
  policy      = data.aws_iam_policy_document.base[0].json
  tags        = var.tags
}

resource "aws_iam_role_policy_attachment" "custom" {
  count      = var.attach_custom_policy ? 1 : 0
  role       = aws_iam_role.this.name
  policy_arn = aws_iam_policy.custom[0].arn
}

locals {
  associations = { for k, a in var.associations : k => { for n in ["cluster_name", "namespace", "service_account", "disable_session_tags", "target_role_arn"] : n => contains([for x, y in a : x], n) ? a[n] : null } }
}

resource "aws_eks_pod_identity_association" "this" {
  for_each             = local.associations
  cluster_name         = each.value.cluster_name
  namespace            = each.value.namespace
  service_account      = each.value.service_account
  role_arn             = aws_iam_role.this.arn
  disable_session_tags = each.value.disable_session_tags
  target_role_arn      = each.value.target_role_arn
  tags                 = var.tags
}

output "iam_role_arn" {
  value = aws_iam_role.this.arn
}
output "iam_role_name" {
  value = aws_iam_role.this.name
}
output "iam_policy_arn" {
  value = var.attach_custom_policy ? aws_iam_policy.custom[0].arn : null
}
output "iam_policy_name" {
  value = var.attach_custom_policy ? aws_iam_policy.custom[0].name : null
}
output "iam_policy_id" {
  value = var.attach_custom_policy ? aws_iam_policy.custom[0].policy_id : null
}
output "iam_role_path" {
  value = var.path
}
output "iam_role_unique_id" {
  value = aws_iam_role.this.unique_id
}
output "associations" {
  value = aws_eks_pod_identity_association.this
}
`,
};

const STAND_INS: readonly StandIn[] = [IRSA_EKS_V5, IRSA_V6, POD_IDENTITY_V2];

/**
 * A public module that creates nothing: no `resource`, `data` or `module` block in any release
 * admitted, only outputs computed from its inputs. A call of one is read as creating nothing, its
 * outputs not evaluated (RF906 where a value needs one): there is nothing it makes to prove, so no
 * "not read" (RF903). Each entry is verified on the module's own repository, release by release.
 */
interface CreatesNothing {
  source: RegExp;
  releases: { from: Version; before: Version };
  unpinned: string;
}

/**
 * cloudposse/terraform-null-label (registry `cloudposse/label/null`): the root `.tf` files of its
 * tags 0.15.0 to 0.25.0 (the newest) hold only locals, variables and outputs (checked with `git
 * ls-tree` and `git show` of every tag: no resource, data or module block); 0.1.0 to 0.14.1 declare
 * a `null_resource "default"`.
 */
const NULL_LABEL: CreatesNothing = {
  source: /^(?:(?:registry\.terraform\.io\/)?cloudposse\/label\/null|(?:git::)?(?:https:\/\/|ssh:\/\/git@|git@)github\.com[/:]cloudposse\/terraform-null-label(?:\.git)?)(?:\?ref=[^?#]*)?$/,
  releases: { from: [0, 15, 0], before: [0, 26, 0] },
  unpinned: 'releases before 0.15.0 create a null_resource, and none after 0.25.0 was checked',
};

const CREATES_NOTHING: readonly CreatesNothing[] = [NULL_LABEL];

/**
 * cloudposse/label/null's outputs that are a plain function of the call's arguments, by the release
 * ranges whose files compute them alike (read tag by tag with `git show <tag>:main.tf`,
 * `outputs.tf`, `variables.tf` on cloudposse/terraform-null-label). In 0.19.1 to 0.25.0:
 * `local.input.enabled = var.enabled == null ? var.context.enabled : var.enabled`, `var.enabled`
 * defaults to null and `var.context` to an object whose `enabled` is true; output `enabled` is
 * `local.input.enabled`, output `context` is `local.input`, and outputs `id`, `id_full`, `name`,
 * `namespace`, `environment`, `stage`, `delimiter`, `attributes`, `tags` (and `tenant`, from
 * 0.25.0) are `local.enabled ? <label> : ""` (`[]` for attributes, `{}` for tags). `local.input`'s
 * keys differ by range (label_key_case and label_value_case from 0.23.0; tenant,
 * descriptor_formats and labels_as_tags from 0.25.0). 0.15.0 to 0.19.0 compute `enabled` otherwise
 * (0.19.0 has no `enabled` output): their outputs stay unevaluated. So do the labels themselves
 * (normalised, cased, ordered, cut to a length): only whether the module is enabled is evaluated,
 * and what a disabled one gives.
 */
const NULL_LABEL_INPUT_KEYS = ['enabled', 'namespace', 'environment', 'stage', 'name', 'delimiter', 'attributes', 'tags', 'additional_tag_map', 'label_order', 'regex_replace_chars', 'id_length_limit'];
const NULL_LABEL_READINGS: readonly { releases: { from: Version; before: Version }; inputKeys: readonly string[] }[] = [
  { releases: { from: [0, 19, 1], before: [0, 23, 0] }, inputKeys: NULL_LABEL_INPUT_KEYS },
  { releases: { from: [0, 23, 0], before: [0, 25, 0] }, inputKeys: [...NULL_LABEL_INPUT_KEYS, 'label_key_case', 'label_value_case'] },
  { releases: { from: [0, 25, 0], before: [0, 26, 0] }, inputKeys: [...NULL_LABEL_INPUT_KEYS, 'tenant', 'label_key_case', 'label_value_case', 'descriptor_formats', 'labels_as_tags'] },
];
/** The outputs `local.enabled ? <x> : <empty>`, with what a disabled label gives. */
const NULL_LABEL_WHEN_DISABLED: Readonly<Record<string, () => Value>> = { id: () => '', id_full: () => '', name: () => '', namespace: () => '', tenant: () => '', environment: () => '', stage: () => '', delimiter: () => '', attributes: () => [], tags: () => ({}) };

const plainObject = (v: Value | undefined): v is { [k: string]: Value } => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
/** A value only apply knows (eval.ts Unknown, the one object that is neither a list nor an object value): carried as it is. */
const notKnown = (v: Value | undefined): v is Unknown => typeof v === 'object' && v !== null && !Array.isArray(v) && !plainObject(v);

/** The outputs of a cloudposse/label/null call whose releases all compute them alike (NULL_LABEL_READINGS). */
function nullLabelOutputs(inputKeys: readonly string[]): NonNullable<ConfigModule['outputsOf']> {
  const enabled = (arg: (name: string) => Value | undefined, notEvaluated: (what: string) => Unknown): Value => {
    const own = arg('enabled');
    // A bool variable takes "true" and "false" as Terraform converts them.
    const bool = (v: Value | undefined): Value | undefined => (v === 'true' ? true : v === 'false' ? false : v);
    const given = bool(own);
    if (typeof given === 'boolean') return given;
    if (given !== undefined && given !== null) return notKnown(given) ? given : notEvaluated('enabled');
    const context = arg('context');
    if (context === undefined) return true;
    if (!plainObject(context)) return notKnown(context) ? context : notEvaluated('enabled');
    const of = bool(context.enabled);
    if (typeof of === 'boolean') return of;
    return notKnown(of) ? of : notEvaluated('enabled');
  };
  return (name, arg, notEvaluated) => {
    if (name === 'enabled') return enabled(arg, notEvaluated);
    if (name === 'context') return Object.fromEntries(inputKeys.map((k) => [k, k === 'enabled' ? enabled(arg, notEvaluated) : notEvaluated(`context.${k}`)]));
    const empty = NULL_LABEL_WHEN_DISABLED[name];
    if (empty === undefined || (name === 'tenant' && !inputKeys.includes('tenant'))) return undefined;
    return enabled(arg, notEvaluated) === false ? empty() : notEvaluated(name);
  };
}

/**
 * For a resource a stand-in made (`site`: the module call), how the call names its role before
 * apply, in the module's own arguments; undefined for any other module.
 */
export function namedBeforeApply(site: { address: string; source: string }): { call: string; words: string } | undefined {
  const words = STAND_INS.find((s) => s.source.test(site.source))?.named;
  return words !== undefined ? { call: site.address, words } : undefined;
}

const parsed = new Map<StandIn, ReturnType<typeof parseHcl>>();

/**
 * The stand-in module for a registry or git `source`, built for one call (everything it creates is
 * located at that call's module block); `{ why }` when the call sets an argument the stand-in does
 * not model; undefined when no stand-in names that source.
 */
export function registryModule(source: string, call: ConfigModuleCall, dir: string): ConfigModule | { why: string } | undefined {
  const nothing = CREATES_NOTHING.find((m) => m.source.test(source));
  if (nothing && call.origin) {
    const outside = outsideReleases(nothing, source, call);
    if (outside !== undefined) return { why: outside };
    // Its variables are the arguments the call sets (the module is not evaluated: none is refused, none is read).
    const mod: ConfigModule = { ...emptyModule(dir), standIn: true, createsNothing: true };
    const reading = nothing === NULL_LABEL ? NULL_LABEL_READINGS.find((r) => outsideReleases({ releases: r.releases, unpinned: nothing.unpinned }, source, call) === undefined) : undefined;
    if (reading) mod.outputsOf = nullLabelOutputs(reading.inputKeys);
    for (const a of call.body?.attrs ?? []) if (!MODULE_META.has(a.name)) mod.variables.set(a.name, { loc: call.loc, at: call.at });
    return mod;
  }
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
function outsideReleases(standIn: Pick<StandIn, 'releases' | 'unpinned'>, source: string, call: ConfigModuleCall): string | undefined {
  const range = `${shown(standIn.releases.from)} up to before ${shown(standIn.releases.before)}`;
  const ref = /\?(?:.*&)?ref=([^&]*)/.exec(source)?.[1];
  if (/^(?:git::|https:\/\/|ssh:\/\/|git@)/.test(source)) {
    const tag = ref !== undefined ? /^(?:tags\/)?v?(\d+)\.(\d+)\.(\d+)$/.exec(ref) : null;
    if (!tag) return `its ref ${ref === undefined ? '(none: the default branch)' : JSON.stringify(ref)} is not a release tag, and the doctor reads only releases ${range} of this module`;
    const v: Version = [Number(tag[1]), Number(tag[2]), Number(tag[3])];
    return compare(v, standIn.releases.from) >= 0 && compare(v, standIn.releases.before) < 0 ? undefined : `its ref ${ref} is outside releases ${range}, the ones the doctor reads`;
  }
  const text = call.version;
  if (text === undefined) return `it pins no literal version, and the doctor reads only releases ${range} of this module (${standIn.unpinned})`;
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
