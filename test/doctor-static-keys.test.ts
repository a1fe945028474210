import { describe, expect, it } from 'vitest';
import { doctorTexts } from './helpers/doctor.js';

/**
 * A deployment that creates a long-lived cloud credential itself (RF936): cafanwi/azure-terraform-gitlab-runners-2
 * makes a service principal's client secret for its runner; woodjme/autoscaling-ec2-gitlab-runners-fargate an IAM
 * user's access key (in CloudFormation: test/doctor-cloudformation-keys-34a.test.ts).
 */
const said = (files: Record<string, string>) => doctorTexts(files).findings.filter((f) => f.code === 'RF936');

describe('RF936: a long-lived cloud credential the Terraform creates', () => {
  it("an IAM user's access key: a warning at the resource, naming the user, with the keyless fix", () => {
    const tf = 'resource "aws_iam_user" "ci" {\n  name = "gitlab-ci"\n}\n\nresource "aws_iam_access_key" "ci" {\n  user = aws_iam_user.ci.name\n}\n';
    const f = said({ 'main.tf': tf });
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'warning', path: 'main.tf:5:1' });
    expect(f[0]!.message).toContain('aws_iam_access_key.ci creates an access key of IAM user gitlab-ci: a static credential, and an AWS access key never expires');
    expect(f[0]!.fix).toMatch(/^delete the access key .*instance profile, IRSA or EKS Pod Identity/);
  });

  it('Entra ID client secrets of an application and of a service principal', () => {
    const tf = 'resource "azuread_application" "ci" {\n  display_name = "gitlab-ci"\n}\nresource "azuread_service_principal" "ci" {\n  client_id = azuread_application.ci.client_id\n}\nresource "azuread_service_principal_password" "ci" {\n  service_principal_id = azuread_service_principal.ci.id\n}\nresource "azuread_application_password" "ci" {\n  application_id = azuread_application.ci.id\n}\n';
    expect(said({ 'main.tf': tf }).map((f) => [f.path, /creates (a client secret of an Entra ID [a-z ]+?):/.exec(f.message)?.[1]])).toEqual([
      ['main.tf:10:1', 'a client secret of an Entra ID application'],
      ['main.tf:7:1', 'a client secret of an Entra ID service principal'],
    ]);
  });

  it('in a module: named by its address; an IAM user, role or policy alone is no RF936', () => {
    const mod = 'variable "user" {}\nresource "aws_iam_access_key" "k" {\n  user = var.user\n}\n';
    expect(said({ 'main.tf': 'module "keys" {\n  source = "./keys"\n  user   = "deployer"\n}\n', 'keys/main.tf': mod }).map((f) => f.message)).toEqual([expect.stringMatching(/^module\.keys\.aws_iam_access_key\.k creates an access key of IAM user deployer:/)]);
    expect(said({ 'main.tf': 'resource "aws_iam_user" "ci" {\n  name = "gitlab-ci"\n}\nresource "aws_iam_user_policy_attachment" "ci" {\n  user       = aws_iam_user.ci.name\n  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"\n}\n' })).toEqual([]);
  });
});
