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
}

interface Ext extends Place {
  vm: string;
  params: Record<string, unknown>;
}

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
  for (const [path, yaml] of ev.yamlSources ?? []) {
    const tasks: AzureVmTask[] = azureVmTasks(path, yaml);
    if (tasks.length === 0) continue;
    const text = ev.texts?.get(path) ?? yaml.text;
    const lines = new LineIndex(text);
    for (const t of tasks) {
      const at = formatPosition({ file: path, ...lines.pos(offsetInOriginal(yaml.text, text, t.at)) });
      if (t.module === 'azure_rm_virtualmachine' && typeof t.params.name === 'string') vms.push({ path, at, name: t.params.name, params: t.params });
      else if (t.module === 'azure_rm_virtualmachineextension' && typeof t.params.virtual_machine_name === 'string') exts.push({ path, at, vm: t.params.virtual_machine_name, params: t.params });
    }
  }
  const texts = ev.texts ?? new Map<string, string>();
  const findings: Finding[] = [];
  let found = 0;
  for (const vm of vms) {
    const pieces = setupOf(vm, exts.filter((e) => e.vm === vm.name), texts);
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
    if (identity !== undefined && executor !== undefined && JOBS_ON_HOST.has(executor)) {
      // As for a VM Terraform makes (azure-vm.ts): IMDS answers any process on the VM, a job container through its host.
      findings.push(
        finding(
          'RF713',
          vm.at,
          `${what} is a runner manager (it ${how}) with a managed identity (${shownText(identity, 60)}), and its ${executor} executor runs jobs on the same machine: any job can ask the Azure Instance Metadata Service (169.254.169.254, reachable from a container through the VM) for a token of that identity, so every job holds what the manager holds`,
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
        `${what} is a runner manager (it ${how}${executor !== undefined ? `, executor ${executor}` : ''}); the doctor reads an Azure VM's setup and identity but does not prove its chain: ${identity !== undefined ? `the role assignments of its managed identity (${shownText(identity, 60)}), which these tasks do not show,` : 'its identity (it has none: neither managed_identity nor vm_identity is set),'} the cache's storage account, and the runner's registration in GitLab are not checked`,
        "run runners on AKS with Azure Workload Identity, which runner-fleet plans and proves; or review the VM identity's role assignments by hand",
      ),
    );
  }
  return { found, findings };
}
