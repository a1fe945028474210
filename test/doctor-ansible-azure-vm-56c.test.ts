import { describe, expect, it } from 'vitest';
import { codesIn, doctorWalked, placeOf } from './helpers/doctor.js';

/**
 * Stop 56c: the Ansible Azure VM reader (ansible-azure-vm.ts, 55e) matches a Custom Script extension
 * to its VM by resource group and name, as Azure does; reads the one-line `key=value` form of the
 * tasks; and says what the VM's managed identity is granted (azure_rm_roleassignment whose
 * assignee_object_id is the VM task's registered result), in RF713 and RF903.
 */

const vm = (rg: string, identity: string, register = '') => `    - azure.azcollection.azure_rm_virtualmachine:
        resource_group: ${rg}
        name: runner-vm
        vm_size: Standard_B2s
${identity}${register}`;
const ext = (rg: string) => `    - azure.azcollection.azure_rm_virtualmachineextension:
        resource_group: ${rg}
        name: register-runner
        virtual_machine_name: runner-vm
        publisher: Microsoft.Azure.Extensions
        virtual_machine_extension_type: CustomScript
        type_handler_version: "2.1"
        settings:
          commandToExecute: "gitlab-runner register --non-interactive --url https://gitlab.example.com --token $RUNNER_TOKEN --executor shell"
`;
const SYSTEM = '        managed_identity:\n          type: SystemAssigned\n';
const book = (tasks: string) => `- hosts: localhost\n  connection: local\n  tasks:\n${tasks}`;
const managers = (r: ReturnType<typeof doctorWalked>) => codesIn(r, 'RF903').filter((f) => f.message.includes('is a runner manager'));

describe('Ansible Azure VMs: the extension by resource group and name', () => {
  it('two VMs named runner-vm in two resource groups, the extension in build: one manager, the VM of build; the identity of the VM in ci is no job identity', () => {
    const text = book(vm('ci', SYSTEM) + vm('build', '') + ext('build'));
    const r = doctorWalked({ 'azure.yml': text });
    const found = managers(r);
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain(`the Ansible task at ${placeOf('azure.yml', text, 'azure.azcollection.azure_rm_virtualmachine:', text.indexOf('resource_group: build') - 200)} creates`);
    expect(codesIn(r, 'RF713')).toEqual([]);
  });

  it('the same VM and extension in one resource group: the manager, RF713 for its identity', () => {
    const r = doctorWalked({ 'azure.yml': book(vm('ci', SYSTEM) + ext('ci')) });
    expect(managers(r)).toHaveLength(1);
    expect(codesIn(r, 'RF713')).toHaveLength(1);
  });

  it('the one-line key=value form of the VM task is read', () => {
    const text = book('    - azure_rm_virtualmachine: resource_group=ci name=runner-vm vm_size=Standard_B2s vm_identity=SystemAssigned\n' + ext('ci'));
    const r = doctorWalked({ 'azure.yml': text });
    expect(codesIn(r, 'RF910')).toEqual([]);
    expect(codesIn(r, 'RF713').map((f) => f.path)).toEqual([placeOf('azure.yml', text, 'azure_rm_virtualmachine:')]);
  });
});

describe("Ansible Azure VMs: the managed identity's role assignments", () => {
  const assignment = (assignee: string) => `    - azure.azcollection.azure_rm_roleassignment:
        scope: /subscriptions/00000000-0000-0000-0000-000000000000
        assignee_object_id: "${assignee}"
        role_definition_id: /subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c
`;
  const REG = '      register: runner_vm\n';

  it('a role the VM task\'s registered identity is given at the subscription: named in RF713 and RF903 with its scope and task', () => {
    const text = book(vm('ci', SYSTEM, REG) + ext('ci') + assignment('{{ runner_vm.ansible_facts.azure_vm.identity.principal_id }}'));
    const r = doctorWalked({ 'azure.yml': text });
    const rf713 = codesIn(r, 'RF713');
    expect(rf713).toHaveLength(1);
    expect(rf713[0]!.message).toContain('the tasks give that identity role definition "b24988ac-6180-42a0-ab88-20f7382dd24c" (Contributor) at "/subscriptions/00000000-0000-0000-0000-000000000000" (the whole subscription)');
    expect(rf713[0]!.message).toContain(`written at ${placeOf('azure.yml', text, 'azure.azcollection.azure_rm_roleassignment')}`);
    expect(managers(r)[0]!.message).toContain('(the whole subscription)');
  });

  it('an assignment to another principal, or none: "no role assignment"', () => {
    for (const tasks of [vm('ci', SYSTEM, REG) + ext('ci') + assignment('{{ other_identity.principal_id }}'), vm('ci', SYSTEM, REG) + ext('ci')]) {
      const rf713 = codesIn(doctorWalked({ 'azure.yml': book(tasks) }), 'RF713');
      expect(rf713).toHaveLength(1);
      expect(rf713[0]!.message).toContain('the tasks give that identity no role assignment');
    }
  });
});
