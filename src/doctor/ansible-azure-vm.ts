import type { Evidence } from './evidence.js';
import { CODES, type Code } from '../spec/codes.js';
import { shownText } from '../verify/credentials.js';
import type { Finding } from '../spec/findings.js';
import { isObject } from '../model/is-object.js';
import { azureVmTasks, type AzureVmTask } from './ansible.js';
import { CUSTOM_SCRIPT, JOBS_ON_HOST, executorOf } from './azure-vm.js';
import { isFileNamed } from '../platforms/aws-vm/cloud-init.js';
import { otherUserDataText } from './vm.js';
import { formatPosition } from './source.js';
import { offsetInOriginal } from './yaml-documents.js';
import { LineIndex } from './hcl/ast.js';
import { BUILTIN_ROLE_IDS } from './azure.js';

/**
 * Runner managers on Azure VMs that an Ansible playbook creates, as Terraform's are read
 * (azure-vm.ts): an `azure_rm_virtualmachine` task whose `custom_data`, or the Custom Script extension an
 * `azure_rm_virtualmachineextension` task adds to it (`virtual_machine_name` naming it), runs
 * `gitlab-runner register` or writes a config.toml, directly or through a script of the files given
 * that its command runs (a `fileUris` download, or a path on its command line). Such a VM is a manager:
 * RF903 says its chain is not proven (not RF910 "no runner manager"), and RF713 where it has a managed
 * identity and its executor runs jobs on the VM itself.
 *
 * The modules' parameters (azure.azcollection docs, azure_rm_virtualmachine and
 * azure_rm_virtualmachineextension): the VM's `name`, `custom_data` (text cloud-init reads; the module
 * encodes it), its identity as `managed_identity: {type: …}` (newer collections) or `vm_identity`
 * (older); the extension's `virtual_machine_name`, `publisher`, `virtual_machine_extension_type`,
 * `settings` and `protected_settings` (the Custom Script extension's public and protected configuration:
 * `commandToExecute`, `script` in base64, `fileUris`; Azure docs, "Use the Azure Custom Script Extension
 * Version 2 with Linux virtual machines").
 */

interface Place {
  path: string;
  at: string;
}

interface Vm extends Place {
  name: string;
  params: Record<string, unknown>;
  register?: string;
}

interface Ext extends Place {
  vm: string;
  params: Record<string, unknown>;
}

interface Assignment extends Place {
  params: Record<string, unknown>;
}

/** A task's `resource_group` as written (a Jinja expression kept as its text), or undefined. */
const groupOf = (params: Record<string, unknown>): string | undefined => (typeof params.resource_group === 'string' && params.resource_group.trim() !== '' ? params.resource_group.trim() : undefined);

/**
 * The Custom Script extensions of a VM: Azure names an extension's VM by its resource group and
 * name (`virtual_machine_name` in the extension's `resource_group`), so a VM of the same name in
 * another resource group is another VM. Where either task leaves its resource group out (a module
 * default), the name decides only if one VM has it.
 */
function extensionsOf(vm: Vm, vms: readonly Vm[], exts: readonly Ext[]): Ext[] {
  const rg = groupOf(vm.params);
  const sameName = vms.filter((v) => v.name === vm.name).length;
  return exts.filter((e) => {
    if (e.vm !== vm.name) return false;
    const erg = groupOf(e.params);
    return rg !== undefined && erg !== undefined ? rg === erg : sameName === 1;
  });
}

/** The Jinja variables an expression reads first (`{{ vm.state.identity.principal_id }}`: `vm`). */
const jinjaRoots = (text: string): string[] => [...text.matchAll(/\{\{-?\s*([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);

/**
 * The role assignments the tasks give the VM's managed identity (azure_rm_roleassignment, its
 * `assignee_object_id` the identity's principal id): read from the VM task's registered result
 * (`{{ vm_result.… }}`, the system-assigned identity) or from a variable the VM's
 * `managed_identity`/`vm_identity` names (a user-assigned identity's registered result), as
 * `role at scope (place)`. Shown, not judged, as for a VM Terraform makes (azure-vm.ts).
 */
function assignmentsOf(vm: Vm, assignments: readonly Assignment[]): string[] {
  const principals = new Set([...(vm.register !== undefined ? [vm.register] : []), ...jinjaRoots(JSON.stringify([vm.params.managed_identity ?? null, vm.params.vm_identity ?? null]))]);
  const out: string[] = [];
  for (const a of assignments) {
    const assignee = a.params.assignee_object_id ?? a.params.assignee;
    if (typeof assignee !== 'string' || a.params.state === 'absent' || !jinjaRoots(assignee).some((r) => principals.has(r))) continue;
    const role = typeof a.params.role_definition_id === 'string' ? roleShown(a.params.role_definition_id) : 'a role the task does not name';
    const scope = typeof a.params.scope === 'string' ? JSON.stringify(shownText(a.params.scope, 120)) : 'a scope the task does not name';
    const whole = typeof a.params.scope === 'string' && /^\/subscriptions\/[^/]+\/?$/i.test(a.params.scope.trim());
    out.push(`${role} at ${scope}${whole ? ' (the whole subscription)' : ''}, written at ${a.at}`);
  }
  return out;
}

/** A role definition id as a reader knows it: its last segment, and a built-in role's name. */
function roleShown(id: string): string {
  const guid = id.trim().split('/').pop()!.toLowerCase();
  const name = Object.hasOwn(BUILTIN_ROLE_IDS, guid) ? BUILTIN_ROLE_IDS[guid] : undefined;
  return `role definition ${JSON.stringify(shownText(guid, 80))}${name !== undefined ? ` (${name})` : ''}`;
}

/** What the files give the identity, as a clause. */
const grantsClause = (assigned: readonly string[]): string => (assigned.length > 0 ? `the tasks give that identity ${assigned.slice(0, 3).join('; ')}${assigned.length > 3 ? `; and ${assigned.length - 3} more` : ''}` : 'the tasks give that identity no role assignment (azure_rm_roleassignment)');

function finding(code: Code, path: string, message: string, fix: string): Finding {
  return { code, severity: CODES[code].severity, path, message, fix };
}

/** The identity the VM task gives it: `managed_identity.type`, else `vm_identity`; undefined for none. */
function identityOf(params: Record<string, unknown>): string | undefined {
  const type = isObject(params.managed_identity) ? params.managed_identity.type : params.vm_identity;
  return typeof type === 'string' && type.trim() !== '' && type !== 'None' ? type : undefined;
}

/** The names of the scripts a Custom Script extension downloads (`fileUris`, without a query) or names on its command line (`*.sh`). */
function scriptNames(settings: Record<string, unknown>[], command: string | undefined): string[] {
  const names = new Set<string>();
  for (const s of settings) {
    for (const uri of [s.fileUris].flat()) if (typeof uri === 'string') names.add(uri.replace(/[?#].*$/, '').split('/').pop()!);
  }
  for (const m of (command ?? '').matchAll(/[^\s'"`;|&()]+\.(?:sh|bash)\b/g)) names.add(m[0].split('/').pop()!);
  names.delete('');
  return [...names];
}

/**
 * The pieces of a VM's setup, in the order they run: its custom data, then each Custom Script
 * extension's script or command, and the scripts of the files given that the command runs.
 */
function setupOf(vm: Vm, exts: readonly Ext[], texts: ReadonlyMap<string, string>): { where: string; at: string; text: string }[] {
  const pieces: { where: string; at: string; text: string }[] = [];
  if (typeof vm.params.custom_data === 'string') pieces.push({ where: 'its custom_data', at: vm.at, text: vm.params.custom_data });
  for (const ext of exts) {
    if (!CUSTOM_SCRIPT.has(`${String(ext.params.publisher)}/${String(ext.params.virtual_machine_extension_type)}`)) continue;
    const settings = ['settings', 'protected_settings'].map((k) => ext.params[k]).filter(isObject);
    for (const [i, s] of settings.entries()) {
      const key = ['settings', 'protected_settings'][i]!;
      if (typeof s.commandToExecute === 'string') pieces.push({ where: `the ${key}.commandToExecute of its Custom Script extension (${ext.at})`, at: ext.at, text: s.commandToExecute });
      if (typeof s.script === 'string') {
        const read = otherUserDataText({ user_data: s.script }, ext.path, texts);
        if (read && 'text' in read) pieces.push({ where: `the ${key}.script of its Custom Script extension (${ext.at})`, at: ext.at, text: read.text });
      }
    }
    const command = settings.map((s) => s.commandToExecute).find((c): c is string => typeof c === 'string');
    for (const name of scriptNames(settings, command)) {
      const file = [...texts].find(([p]) => isFileNamed(p, name));
      if (file) pieces.push({ where: `the script ${file[0]} its Custom Script extension (${ext.at}) runs`, at: ext.at, text: file[1] });
    }
  }
  return pieces;
}

/** The Azure VM runner managers Ansible tasks of the files given create, and what the doctor says of them; `found` counts them (RF910 is not said where one is). */
export function ansibleAzureVmRunners(ev: Evidence): { found: number; findings: Finding[] } {
  const vms: Vm[] = [];
  const exts: Ext[] = [];
  const assignments: Assignment[] = [];
  for (const [path, yaml] of ev.yamlSources ?? []) {
    const tasks: AzureVmTask[] = azureVmTasks(path, yaml);
    if (tasks.length === 0) continue;
    const text = ev.texts?.get(path) ?? yaml.text;
    const lines = new LineIndex(text);
    for (const t of tasks) {
      const at = formatPosition({ file: path, ...lines.pos(offsetInOriginal(yaml.text, text, t.at)) });
      if (t.module === 'azure_rm_virtualmachine' && typeof t.params.name === 'string') vms.push({ path, at, name: t.params.name, params: t.params, ...(t.register !== undefined ? { register: t.register } : {}) });
      else if (t.module === 'azure_rm_virtualmachineextension' && typeof t.params.virtual_machine_name === 'string') exts.push({ path, at, vm: t.params.virtual_machine_name, params: t.params });
      else if (t.module === 'azure_rm_roleassignment') assignments.push({ path, at, params: t.params });
    }
  }
  const texts = ev.texts ?? new Map<string, string>();
  const findings: Finding[] = [];
  let found = 0;
  for (const vm of vms) {
    const pieces = setupOf(vm, extensionsOf(vm, vms, exts), texts);
    let manager: { where: string; at: string; registers: boolean; executor?: string } | undefined;
    for (const p of pieces) {
      const read = executorOf(p.text, texts);
      if (read) {
        manager = { where: p.where, at: p.at, registers: read.registers, ...(read.executor !== undefined ? { executor: read.executor } : {}) };
        break;
      }
    }
    if (!manager) continue;
    found++;
    const shownName = JSON.stringify(shownText(vm.name, 80));
    const what = `the Azure VM ${shownName} the Ansible task at ${vm.at} creates (azure_rm_virtualmachine)`;
    const how = `${manager.registers ? 'runs `gitlab-runner register`' : 'writes a config.toml'} in ${manager.where}`;
    const identity = identityOf(vm.params);
    const executor = manager.executor;
    const assigned = identity !== undefined ? assignmentsOf(vm, assignments) : [];
    if (identity !== undefined && executor !== undefined && JOBS_ON_HOST.has(executor)) {
      // As for a VM Terraform makes (azure-vm.ts): IMDS answers any process on the VM, a job container through its host.
      findings.push(
        finding(
          'RF713',
          vm.at,
          `${what} is a runner manager (it ${how}) with a managed identity (${shownText(identity, 60)}), and its ${executor} executor runs jobs on the same machine: any job can ask the Azure Instance Metadata Service (169.254.169.254, reachable from a container through the VM) for a token of that identity, so every job holds what the manager holds; ${grantsClause(assigned)}`,
          executor === 'shell'
            ? 'run jobs on other machines than the one holding the identity (the docker-autoscaler executor with a scale set of its own that has no identity), or give the VM no managed identity (drop managed_identity / vm_identity from the task)'
            : 'block 169.254.169.254 for job containers (an iptables rule in the DOCKER-USER chain dropping traffic from the Docker bridge to it), or run jobs on machines without the identity (the docker-autoscaler executor and a scale set with no identity)',
        ),
      );
    }
    findings.push(
      finding(
        'RF903',
        manager.at,
        `${what} is a runner manager (it ${how}${executor !== undefined ? `, executor ${executor}` : ''}); the doctor reads an Azure VM's setup and identity but does not prove its chain: ${identity !== undefined ? `what the role assignments of its managed identity (${shownText(identity, 60)}) allow,` : 'its identity (it has none: neither managed_identity nor vm_identity is set),'} the cache's storage account, and the runner's registration in GitLab are not checked${identity !== undefined ? `; ${grantsClause(assigned)}` : ''}`,
        "run runners on AKS with Azure Workload Identity, which runner-fleet plans and proves; or review the VM identity's role assignments by hand",
      ),
    );
  }
  return { found, findings };
}
