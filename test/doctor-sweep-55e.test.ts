import { describe, expect, it } from 'vitest';
import { codesIn, doctorWalked, irsaChartValues, placeOf } from './helpers/doctor.js';

/**
 * Gaps the stop-54 sweep of public deployments left (README, "Stop 54 … added"), each written here as
 * a deployment of the same shape, none copied from the repositories.
 */

// The gitlab-runner chart vendored into a repository: its Chart.yaml, its templates (not walked: Go
// templates), and its own values.yaml as the chart ships it (a few of its keys; gitlabUrl and the
// token commented out).
const chartYaml = 'apiVersion: v1\nname: gitlab-runner\nversion: 0.71.0\nappVersion: 17.6.0\ndescription: GitLab Runner\n';
const shippedDefaults = `image:
  registry: registry.gitlab.com
  image: gitlab-org/gitlab-runner
replicas: 1
# gitlabUrl: http://gitlab.your-domain.com/
# runnerToken: ""
concurrent: 10
checkInterval: 30
rbac:
  create: false
serviceAccount:
  create: false
runners:
  config: |
    [[runners]]
      [runners.kubernetes]
        namespace = "{{.Release.Namespace}}"
        image = "alpine"
`;
const template = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include "gitlab-runner.fullname" . }}\n';

describe("a vendored gitlab-runner chart's own values.yaml", () => {
  it('as shipped (no gitlabUrl, no token) is the chart\'s defaults: one RF902 at it, not read as values (was RF903 of its service account)', () => {
    const r = doctorWalked({ 'helm/gitlab-runner/Chart.yaml': chartYaml, 'helm/gitlab-runner/values.yaml': shippedDefaults, 'helm/gitlab-runner/templates/deployment.yaml': template });
    const rf902 = codesIn(r, 'RF902');
    expect(rf902.map((f) => f.path)).toEqual(['helm/gitlab-runner/values.yaml:1:1']);
    expect(rf902[0]!.severity).toBe('info');
    expect(rf902[0]!.message).toContain('holds the default values of the gitlab-runner chart vendored in helm/gitlab-runner/ (helm/gitlab-runner/Chart.yaml)');
    expect(rf902[0]!.fix).toContain('helm install <release> <chart folder> -f <values>');
    expect(codesIn(r, 'RF903')).toEqual([]);
    // Nothing else names a manager: RF910 says so.
    expect(codesIn(r, 'RF910')).toHaveLength(1);
  });

  it('the same at the top of the repository (Chart.yaml beside values.yaml)', () => {
    const r = doctorWalked({ 'Chart.yaml': chartYaml, 'values.yaml': shippedDefaults });
    expect(codesIn(r, 'RF902').map((f) => f.path)).toEqual(['values.yaml:1:1']);
    expect(codesIn(r, 'RF902')[0]!.message).toContain('vendored in ./ (Chart.yaml)');
    expect(codesIn(r, 'RF903')).toEqual([]);
  });

  it('the values the release is installed with, given beside the vendored chart, are read alone: the same chain and findings as without the chart', () => {
    const alone = doctorWalked({ 'deploy/values-prod.yaml': irsaChartValues() });
    const beside = doctorWalked({ 'helm/gitlab-runner/Chart.yaml': chartYaml, 'helm/gitlab-runner/values.yaml': shippedDefaults, 'deploy/values-prod.yaml': irsaChartValues() });
    expect([...beside.chains.keys()]).toEqual([...alone.chains.keys()]);
    expect(beside.proofs.map((p) => `${p.claim} ${String(p.holds)}`)).toEqual(alone.proofs.map((p) => `${p.claim} ${String(p.holds)}`));
    expect(beside.findings.filter((f) => f.code !== 'RF902').map((f) => `${f.code} ${f.path}`)).toEqual(alone.findings.map((f) => `${f.code} ${f.path}`));
  });

  it('edited in place (gitlabUrl set) it is the release\'s values, read as any values file: no RF902', () => {
    const edited = shippedDefaults.replace('# gitlabUrl: http://gitlab.your-domain.com/', 'gitlabUrl: https://gitlab.example.com/');
    const r = doctorWalked({ 'helm/gitlab-runner/Chart.yaml': chartYaml, 'helm/gitlab-runner/values.yaml': edited });
    expect(codesIn(r, 'RF902')).toEqual([]);
    expect(codesIn(r, 'RF903').map((f) => f.path.replace(/:\d+:\d+$/, ''))).toEqual(['helm/gitlab-runner/values.yaml']);
  });

  it("another chart's folder (Chart.yaml name is not gitlab-runner) keeps its values read as values", () => {
    const r = doctorWalked({ 'deploy/Chart.yaml': chartYaml.replace('name: gitlab-runner', 'name: ci-runner'), 'deploy/values.yaml': shippedDefaults });
    expect(codesIn(r, 'RF902')).toEqual([]);
    expect(codesIn(r, 'RF903')).toHaveLength(1);
  });
});

// An Azure VM an Ansible playbook creates (azure.azcollection), whose Custom Script extension
// downloads and runs a register script that is among the files given.
const vmTask = (identity: string) => `    - name: Create the runner VM
      azure.azcollection.azure_rm_virtualmachine:
        resource_group: ci
        name: gitlab-runner-vm
        vm_size: Standard_B2s
        admin_username: azureuser
        image:
          offer: 0001-com-ubuntu-server-jammy
          publisher: Canonical
          sku: 22_04-lts
          version: latest
${identity}`;
const extTask = (vm: string, settings: string) => `    - name: Register the runner
      azure.azcollection.azure_rm_virtualmachineextension:
        resource_group: ci
        name: register-runner
        virtual_machine_name: ${vm}
        publisher: Microsoft.Azure.Extensions
        virtual_machine_extension_type: CustomScript
        type_handler_version: "2.1"
        settings:
${settings}`;
const byScript = '          fileUris:\n            - https://example.com/scripts/register-runner.sh?sv=1\n          commandToExecute: "bash register-runner.sh"\n';
const playbook = (identity: string, vm = 'gitlab-runner-vm', settings = byScript) => `- hosts: localhost\n  connection: local\n  tasks:\n${vmTask(identity)}${extTask(vm, settings)}`;
const systemAssigned = '        managed_identity:\n          type: SystemAssigned\n';
const registerScript = '#!/bin/bash\nset -euo pipefail\napt-get install -y gitlab-runner\ngitlab-runner register --non-interactive --url https://gitlab.example.com --token "$RUNNER_TOKEN" --executor docker --docker-image alpine:3.20\n';

describe('an Azure VM made by Ansible azure_rm tasks whose Custom Script extension registers a runner', () => {
  it('is read as a runner manager: RF903 (chain not proven) at the extension task, RF713 for its managed identity and docker jobs, no RF910', () => {
    const book = playbook(systemAssigned);
    const r = doctorWalked({ 'azure.yml': book, 'scripts/register-runner.sh': registerScript });
    expect(codesIn(r, 'RF910')).toEqual([]);
    const rf903 = codesIn(r, 'RF903').filter((f) => f.message.includes('is a runner manager'));
    expect(rf903.map((f) => f.path)).toEqual([placeOf('azure.yml', book, 'azure.azcollection.azure_rm_virtualmachineextension')]);
    expect(rf903[0]!.message).toContain('the Azure VM "gitlab-runner-vm" the Ansible task at azure.yml:5:7 creates (azure_rm_virtualmachine) is a runner manager (it runs `gitlab-runner register` in the script scripts/register-runner.sh its Custom Script extension');
    expect(rf903[0]!.message).toContain('executor docker');
    const rf713 = codesIn(r, 'RF713');
    expect(rf713.map((f) => f.path)).toEqual([placeOf('azure.yml', book, 'azure.azcollection.azure_rm_virtualmachine:')]);
    expect(rf713[0]!.message).toContain('managed identity (SystemAssigned)');
  });

  it('without a managed identity: RF903 says it has none, no RF713', () => {
    const r = doctorWalked({ 'azure.yml': playbook(''), 'scripts/register-runner.sh': registerScript });
    expect(codesIn(r, 'RF910')).toEqual([]);
    expect(codesIn(r, 'RF713')).toEqual([]);
    expect(codesIn(r, 'RF903').some((f) => f.message.includes('it has none: neither managed_identity nor vm_identity is set'))).toBe(true);
  });

  it('a register command written in commandToExecute, in a role task file (short module names, no hosts:), with vm_identity', () => {
    const inline = '          commandToExecute: "gitlab-runner register --non-interactive --url https://gitlab.example.com --token $RUNNER_TOKEN --executor shell"\n';
    const tasks = (vmTask('        vm_identity: SystemAssigned\n') + extTask('gitlab-runner-vm', inline)).replace(/^ {4}/gm, '').replace(/azure\.azcollection\./g, '');
    const r = doctorWalked({ 'roles/runner/tasks/main.yml': tasks });
    expect(codesIn(r, 'RF910')).toEqual([]);
    expect(codesIn(r, 'RF903').some((f) => f.message.includes('in the settings.commandToExecute of its Custom Script extension') && f.message.includes('executor shell'))).toBe(true);
    expect(codesIn(r, 'RF713').map((f) => f.message.includes('its shell executor runs jobs on the same machine'))).toEqual([true]);
  });

  it('an extension of another VM, or a script not given, is no manager of this VM: RF910 as before', () => {
    expect(codesIn(doctorWalked({ 'azure.yml': playbook(systemAssigned, 'build-vm'), 'scripts/register-runner.sh': registerScript }), 'RF910')).toHaveLength(1);
    const noScript = doctorWalked({ 'azure.yml': playbook(systemAssigned) });
    expect(codesIn(noScript, 'RF910')).toHaveLength(1);
    expect(codesIn(noScript, 'RF713')).toEqual([]);
  });
});
