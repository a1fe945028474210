import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { unreadTemplate } from '../src/doctor/deployment-templates.js';
import { doctorTexts } from './helpers/doctor.js';

/**
 * Azure Resource Manager templates and Packer's JSON templates are not read by the doctor. Before,
 * they were taken for plain JSON and dropped in silence (an ARM template deploying a runner scale
 * set left only "no runner manager"): now each engine's templates are named once (RF902, with what
 * they declare), and RF910 names them where no manager is found.
 */

const run = doctorTexts;
const rf902 = (r: DoctorResult) => r.findings.filter((f) => f.code === 'RF902');

const ARM = JSON.stringify(
  {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    parameters: { adminUsername: { type: 'string' } },
    resources: [
      { type: 'Microsoft.ManagedIdentity/userAssignedIdentities', apiVersion: '2023-01-31', name: 'ci-manager', location: '[resourceGroup().location]' },
      {
        type: 'Microsoft.Compute/virtualMachineScaleSets',
        apiVersion: '2024-03-01',
        name: 'ci-runners',
        properties: { virtualMachineProfile: { osProfile: { customData: "[base64('#!/bin/bash\\ngitlab-runner register --non-interactive')]" } } },
        resources: [{ type: 'extensions', apiVersion: '2024-03-01', name: 'install' }],
      },
      { type: 'Microsoft.Authorization/roleAssignments', apiVersion: '2022-04-01', name: '[guid(resourceGroup().id)]' },
      { type: 'Microsoft.Authorization/roleAssignments', apiVersion: '2022-04-01', name: '[guid(subscription().id)]' },
    ],
  },
  null,
  2,
);

const PARAMETERS = JSON.stringify({ $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#', contentVersion: '1.0.0.0', parameters: { adminUsername: { value: 'ci' } } }, null, 2);

const PACKER = JSON.stringify(
  {
    variables: { region: 'eu-west-1' },
    builders: [{ type: 'amazon-ebs', region: '{{user `region`}}', instance_type: 't3.small', ami_name: 'gitlab-runner-{{timestamp}}' }],
    provisioners: [
      { type: 'shell', inline: ['curl -L https://packages.gitlab.com/install/repositories/runner/gitlab-runner/script.deb.sh | sudo bash', 'sudo apt-get install -y gitlab-runner'] },
      { type: 'file', source: 'config.toml', destination: '/tmp/config.toml' },
      { type: 'shell', inline: ['sudo mv /tmp/config.toml /etc/gitlab-runner/config.toml'] },
    ],
  },
  null,
  2,
);

describe('ARM and Packer JSON templates: named, not dropped in silence', () => {
  it('an ARM template: one RF902 with its resource types (nested ones counted), and RF910 names it where no manager is found', () => {
    const r = run({ 'infra/azuredeploy.json': ARM, 'infra/azuredeploy.parameters.json': PARAMETERS });
    const found = rf902(r);
    expect(found.map((f) => f.path)).toEqual(['infra/azuredeploy.json:1:1']);
    expect(found[0]!.message).toBe(
      '2 Azure Resource Manager templates: infra/azuredeploy.json (5 resources: Microsoft.ManagedIdentity/userAssignedIdentities, Microsoft.Compute/virtualMachineScaleSets, extensions, Microsoft.Authorization/roleAssignments ×2); infra/azuredeploy.parameters.json (a parameters file); the doctor does not read Azure Resource Manager templates, so the runner managers (virtual machines, scale sets and their custom data), managed identities, federated credentials and role assignments they declare are not checked',
    );
    expect(found[0]!.fix).toContain('az role assignment list --assignee <principal id>');
    // A parameters file alone (its template in Bicep, which RF902 names with the HCL and templates): said as what it is.
    expect(rf902(run({ 'infra/main.parameters.json': PARAMETERS })).map((f) => f.message.split(';')[0])).toEqual(['infra/main.parameters.json is the parameters file of an Azure Resource Manager template']);
    const rf910 = r.findings.find((f) => f.code === 'RF910');
    expect(rf910?.message).toContain('; 1 Azure Resource Manager template, which the doctor does not read, may declare one (RF902): infra/azuredeploy.json');
  });

  it('a Packer JSON template: one RF902 with its builders and provisioners', () => {
    const r = run({ 'packer/runner.json': PACKER });
    const found = rf902(r);
    expect(found.map((f) => f.message)).toEqual([
      'packer/runner.json (4 steps: amazon-ebs, provisioner shell ×2, provisioner file) is a Packer template; the doctor does not read Packer templates, so what the machine image it builds holds (gitlab-runner, a config.toml, a register command run while the image is built) is not checked',
    ]);
    expect(r.findings.find((f) => f.code === 'RF910')?.message).toContain('1 Packer template, which the doctor does not read, may build the image of one (RF902): packer/runner.json');
  });

  it('twins: other JSON with a $schema or a builders key is no such template', () => {
    expect(unreadTemplate({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' })).toBeUndefined();
    expect(unreadTemplate({ $schema: 'https://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#', resources: [] })).toMatchObject({ engine: 'arm', types: [] });
    expect(unreadTemplate({ builders: ['amazon-ebs'] })).toBeUndefined();
    expect(unreadTemplate({ builders: [] })).toBeUndefined();
    expect(unreadTemplate({ apiVersion: 'v1', kind: 'List', builders: [{ type: 'x' }] })).toBeUndefined();
    // languageVersion 2.0: resources by symbolic name.
    expect(unreadTemplate({ $schema: 'https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#', languageVersion: '2.0', resources: { id: { type: 'Microsoft.ManagedIdentity/userAssignedIdentities' } } })).toEqual({ engine: 'arm', types: ['Microsoft.ManagedIdentity/userAssignedIdentities'] });
    expect(rf902(run({ 'schema.json': JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' }) }))).toEqual([]);
  });

  it('a token written in an ARM template is still a finding (RF940), not shown', () => {
    const token = 'glrt-EXAMPLEexampleEXAMPLE12';
    const withToken = ARM.replace('"adminUsername": {\n      "type": "string"\n    }', `"adminUsername": {\n      "type": "string"\n    },\n    "runnerToken": {\n      "type": "securestring",\n      "defaultValue": "${token}"\n    }`);
    expect(withToken).toContain(token);
    const r = run({ 'azuredeploy.json': withToken });
    expect(r.findings.filter((f) => f.code === 'RF940').length).toBe(1);
    expect(JSON.stringify(r)).not.toContain(token);
  });
});
