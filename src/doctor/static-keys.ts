import type { Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import type { TerraformRoot } from '../emit/artifacts.js';
import { getText } from '../verify/get.js';
import { shownText } from '../verify/credentials.js';
import type { Evidence } from './evidence.js';
import { formatPosition, originAt } from './source.js';

/**
 * Long-lived cloud credentials a deployment creates itself (RF936): the static keys keyless runner
 * identity exists to replace, made by Terraform rather than written in a file (RF940). Whoever ends
 * up holding one (a CI/CD variable, a config.toml, a Kubernetes Secret, the Terraform state, which
 * keeps the secret in plain text) acts as its identity until someone rotates it by hand.
 * - `aws_iam_access_key`: an IAM user's access key; AWS access keys do not expire (IAM User Guide,
 *   "Manage access keys for IAM users": rotate them yourself).
 * - `azuread_application_password`, `azuread_service_principal_password`: a client secret of an
 *   Entra ID application or service principal; valid for two years unless `end_date` says otherwise
 *   (Microsoft Graph application: addPassword, endDateTime "default startDateTime + 2 years").
 * The runner itself needs none: its manager and jobs get short-lived credentials from the identity
 * of where they run. A key made for something else (a human operator, a tool outside the fleet) is
 * still a key the deployment keeps in its state, so it is a warning, not an error. A CloudFormation
 * template's `AWS::IAM::AccessKey` is the same finding (cloudformation.ts).
 */
const KEY_RESOURCES: ReadonlyMap<string, { what: (body: Record<string, unknown>, root: Pick<TerraformRoot, 'resource'>) => string; lifetime: string; instead: string }> = new Map([
  [
    'aws_iam_access_key',
    {
      what: (b: Record<string, unknown>, root: Pick<TerraformRoot, 'resource'>) => `an access key of IAM user ${userName(getText(b, 'user'), root)}`,
      lifetime: 'an AWS access key never expires',
      instead: 'delete the access key (and the IAM user, if nothing else uses it) and give what used it an IAM role: the runner manager an instance profile, IRSA or EKS Pod Identity; jobs a role of their own, or GitLab CI id_tokens with sts:AssumeRoleWithWebIdentity',
    },
  ],
  [
    'azuread_application_password',
    {
      what: () => 'a client secret of an Entra ID application',
      lifetime: 'it is valid for two years unless its end_date says otherwise',
      instead: 'delete the client secret and use a managed identity with workload identity federation (AKS workload identity, or a federated credential for GitLab CI id_tokens)',
    },
  ],
  [
    'azuread_service_principal_password',
    {
      what: () => 'a client secret of an Entra ID service principal',
      lifetime: 'it is valid for two years unless its end_date says otherwise',
      instead: 'delete the client secret and use a managed identity with workload identity federation (AKS workload identity, or a federated credential for GitLab CI id_tokens)',
    },
  ],
]);

/** The IAM user an access key is of: the literal name of the aws_iam_user it references (`aws_iam_user.ci.name`), else as written. */
function userName(text: string, root: Pick<TerraformRoot, 'resource'>): string {
  const ref = /^\$\{aws_iam_user\.([^}]+)\.(?:name|id)\}$/.exec(text)?.[1];
  const name = ref !== undefined ? getText(root.resource.aws_iam_user?.[ref], 'name') : '';
  return name !== '' && !name.includes('${') ? shown(name) : shown(text);
}

/** A reference or name as a message shows it: `aws_iam_user.ci.name` for `${aws_iam_user.ci.name}`. */
function shown(text: string): string {
  const out = /^\$\{([^}]*)\}$/.exec(text)?.[1] ?? text;
  return out === '' ? '(not shown)' : shownText(out, 80);
}

/** RF936 at each long-lived key resource of the Terraform given, in the order of the root. */
export function longLivedKeyFindings(ev: Evidence, root: Pick<TerraformRoot, 'resource'>): Finding[] {
  const out: Finding[] = [];
  for (const [type, about] of KEY_RESOURCES) {
    for (const [key, body] of Object.entries(root.resource[type] ?? {})) {
      const address = `${type}.${key}`;
      const origin = ev.terraform.origins.get(address);
      out.push({
        code: 'RF936',
        severity: CODES.RF936.severity,
        path: origin ? formatPosition(originAt(origin)) : '',
        message: `${address} creates ${about.what(body, root)}: a static credential, and ${about.lifetime}; whoever holds it (a CI/CD variable, a config.toml, a Kubernetes Secret, and the Terraform state, which keeps the secret in plain text) acts as that identity until it is rotated by hand. A runner needs none: its manager and its jobs get short-lived credentials from the identity of where they run`,
        fix: about.instead,
        subject: { kind: 'resource', address },
      });
    }
  }
  return out;
}
