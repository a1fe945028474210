import { parse as parseToml } from 'smol-toml';
import type { Finding } from '../spec/findings.js';
import { CODES, type Code } from '../spec/codes.js';
import type { TerraformRoot } from '../emit/artifacts.js';
import { get } from '../verify/get.js';
import { isObject } from '../model/is-object.js';
import type { Evidence } from './evidence.js';
import { formatPosition, originAt, type Origin } from './source.js';
import { otherUserDataText, resolveKey } from './vm.js';
import { heredoc } from '../platforms/aws-vm/script-files.js';
import { isFileNamed } from '../platforms/aws-vm/cloud-init.js';
import { registerCommands } from './register-command.js';
import { setupScript } from './provisioners.js';
import { shownText } from '../verify/credentials.js';

/**
 * Runner managers on Azure virtual machines, as teams write them by hand: a VM or scale set whose
 * custom data, user data, Custom Script extension or creation-time provisioners run
 * `gitlab-runner register` or write a config.toml. runner-fleet proves Azure runners on AKS; for a VM
 * the doctor reads how it is set up and what that means for its jobs, and says what it leaves unproven
 * (RF903) instead of "no runner manager" (RF910).
 *
 * Where the setup is written (Terraform azurerm provider docs):
 * - `azurerm_linux_virtual_machine`, `azurerm_windows_virtual_machine`, `azurerm_linux_virtual_machine_scale_set`,
 *   `azurerm_windows_virtual_machine_scale_set`: `custom_data` and `user_data`, base64-encoded.
 * - `azurerm_orchestrated_virtual_machine_scale_set`: `user_data_base64`, and `os_profile { custom_data }`.
 * - `azurerm_virtual_machine`, `azurerm_virtual_machine_scale_set` (the older resources): `os_profile { custom_data }`,
 *   which the provider encodes itself when it is not base64 already.
 * - `azurerm_virtual_machine_extension` / `azurerm_virtual_machine_scale_set_extension` of the Custom Script
 *   extension (publisher `Microsoft.Azure.Extensions`, type `CustomScript`; on Windows `Microsoft.Compute` /
 *   `CustomScriptExtension`): `settings` and `protected_settings`, JSON with `commandToExecute` (a command line)
 *   or `script` (a base64, optionally gzip'ed, script) (Azure docs, "Use the Azure Custom Script Extension
 *   Version 2 with Linux virtual machines", public and protected configuration).
 */
const VM_TYPES: Readonly<Record<string, 'top' | 'os_profile' | 'both'>> = {
  azurerm_linux_virtual_machine: 'top',
  azurerm_windows_virtual_machine: 'top',
  azurerm_linux_virtual_machine_scale_set: 'top',
  azurerm_windows_virtual_machine_scale_set: 'top',
  azurerm_orchestrated_virtual_machine_scale_set: 'both',
  azurerm_virtual_machine: 'os_profile',
  azurerm_virtual_machine_scale_set: 'os_profile',
};

/** The Azure VM resources whose setup may run a runner manager, as RF910 names them. */
export const AZURE_VM_MANAGER_RESOURCES = 'Azure virtual machine or scale set';

/** Resource types whose creation-time provisioners set up an Azure VM (read with the aws_instance ones, provisioners.ts). */
export const AZURE_VM_TYPES: ReadonlySet<string> = new Set(Object.keys(VM_TYPES));

const EXTENSION_TYPES: Readonly<Record<string, string>> = {
  azurerm_virtual_machine_extension: 'virtual_machine_id',
  azurerm_virtual_machine_scale_set_extension: 'virtual_machine_scale_set_id',
};

export const CUSTOM_SCRIPT: ReadonlySet<string> = new Set(['Microsoft.Azure.Extensions/CustomScript', 'Microsoft.Compute/CustomScriptExtension', 'Microsoft.OSTCExtensions/CustomScriptForLinux']);

/** Executors whose jobs run on the manager's own machine (its identity is theirs to ask IMDS for); the others start job machines or pods elsewhere. */
export const JOBS_ON_HOST: ReadonlySet<string> = new Set(['docker', 'docker-windows', 'shell', 'custom', 'parallels', 'virtualbox', 'ssh']);

const first = (v: unknown): Record<string, unknown> | undefined => {
  const x: unknown = Array.isArray(v) ? (v as unknown[])[0] : v;
  return isObject(x) ? x : undefined;
};

function finding(code: Code, path: string, message: string, fix: string): Finding {
  return { code, severity: CODES[code].severity, path, message, fix };
}

/** One piece of a host's setup: where it is written, and its text (undefined: not readable here). */
interface SetupPiece {
  where: string;
  at: string;
  text?: string;
}

/** Text of a base64 (or base64encode()-of-a-template) value, or plain text where the provider encodes it. */
function decoded(v: unknown, path: string, texts: ReadonlyMap<string, string>, plainAllowed: boolean): string | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const read = otherUserDataText({ user_data: v }, path, texts);
  if (read && 'text' in read) return read.text;
  return plainAllowed && !v.includes('${') ? v : undefined;
}

/** The Custom Script extension's command and script, from its settings' JSON (either may be a string of JSON or, read from JSON, an object). */
function customScriptTexts(ext: Record<string, unknown>, path: string, texts: ReadonlyMap<string, string>): { key: string; text?: string }[] {
  const out: { key: string; text?: string }[] = [];
  for (const key of ['settings', 'protected_settings']) {
    let v = ext[key];
    if (typeof v === 'string') {
      const json = v;
      try {
        v = JSON.parse(json);
      } catch {
        // JSON around a part only apply knows (`"script": "${base64encode(data.template_file.x.rendered)}"`
        // with a variable in the template): the evaluator leaves the call, its argument a JSON string.
        const script = PARTLY_KNOWN_SCRIPT.exec(json);
        out.push({ key, ...(script ? { text: decoded(script[1], path, texts, false) } : {}) });
        continue;
      }
    }
    if (!isObject(v)) continue;
    if (typeof v.commandToExecute === 'string') out.push({ key, text: v.commandToExecute });
    if (v.script !== undefined) out.push({ key, text: decoded(v.script, path, texts, false) });
  }
  return out;
}

/** `"script": "${base64encode("…")}"` in settings JSON the evaluator could only partly render. */
const PARTLY_KNOWN_SCRIPT = /"script"\s*:\s*"(\$\{base64(?:encode|gzip)\("(?:[^"\\]|\\.)*"\)\})"/s;

function extensionHost(ext: Record<string, unknown>, attr: string): string | undefined {
  const id = ext[attr];
  const ref = typeof id === 'string' ? /^\$\{((azurerm_[a-z_]+)\.([A-Za-z0-9_-]+))\.id\}$/.exec(id) : null;
  return ref && AZURE_VM_TYPES.has(ref[2]!) ? ref[1] : undefined;
}

/** The host's setup, in the order it runs: custom data (cloud-init), user data, extensions, provisioners. */
function setupOf(ev: Evidence, root: TerraformRoot, type: string, k: string, body: Record<string, unknown>, origin: Origin, texts: ReadonlyMap<string, string>): SetupPiece[] {
  const path = origin.source.path;
  const pieces: SetupPiece[] = [];
  const where = VM_TYPES[type]!;
  const profile = first(body.os_profile);
  const legacy = type === 'azurerm_virtual_machine' || type === 'azurerm_virtual_machine_scale_set';
  if (where !== 'os_profile') {
    for (const attr of ['custom_data', 'user_data', 'user_data_base64']) if (body[attr] !== undefined) pieces.push({ where: `its ${attr}`, at: formatPosition(originAt(origin, attr)), text: decoded(body[attr], path, texts, false) });
  }
  if (where !== 'top' && profile?.custom_data !== undefined) pieces.push({ where: 'its os_profile.custom_data', at: formatPosition(originAt(origin, 'os_profile')), text: decoded(profile.custom_data, path, texts, legacy) });
  const address = `${type}.${k}`;
  for (const [extType, attr] of Object.entries(EXTENSION_TYPES)) {
    for (const [ek, ext] of Object.entries(root.resource[extType] ?? {})) {
      if (extensionHost(ext, attr) !== address || !CUSTOM_SCRIPT.has(`${String(ext.publisher)}/${String(ext.type)}`)) continue;
      const extOrigin = ev.terraform.origins.get(`${extType}.${ek}`);
      for (const s of customScriptTexts(ext, extOrigin?.source.path ?? path, texts)) pieces.push({ where: `the ${s.key} of its Custom Script extension ${extType}.${ek}`, at: extOrigin ? formatPosition(originAt(extOrigin, s.key)) : formatPosition(originAt(origin)), ...(s.text !== undefined ? { text: s.text } : {}) });
    }
  }
  const steps = ev.terraform.provisioners?.get(address);
  if (steps && steps.some((s) => s.text !== undefined)) pieces.push({ where: 'its provisioners', at: formatPosition(steps[0]!.at), text: decoded(setupScript(undefined, steps), path, texts, false) });
  return pieces;
}

/** The executor the setup registers or writes: register's `--executor` flag, else the config.toml heredoc's first runner's (with the config.toml read). */
export function executorOf(text: string, texts: ReadonlyMap<string, string>): { registers: boolean; executor?: string; toml?: Record<string, unknown> } | undefined {
  const commands = registerCommands('user-data', text);
  if (commands.length > 0) {
    const flag = commands[0]!.flags.find((f) => f.name === 'executor');
    const template = templateConfigOf(commands[0]!.flags.find((f) => f.name === 'template-config')?.value, text, texts);
    return { registers: true, ...(flag?.value !== undefined && !flag.value.includes('$') ? { executor: flag.value } : {}), ...(template !== undefined ? { toml: template } : {}) };
  }
  const toml = heredoc(text, 'config.toml');
  if (toml === undefined) return undefined;
  try {
    const config = parseToml(toml) as Record<string, unknown>;
    const executor = get(config, 'runners', 0, 'executor');
    return { registers: false, toml: config, ...(typeof executor === 'string' ? { executor } : {}) };
  } catch {
    return { registers: false };
  }
}

/**
 * The template a register command's `--template-config` names, parsed: a heredoc the same setup writes
 * to that path, else a file of that name among those given. register merges it into the entry it
 * makes (gitlab-runner docs, "Register with a configuration template"): its `[[runners]]` settings,
 * `[runners.autoscaler]` and its `plugin_config` among them, are the runner's. Undefined where there
 * is no such flag, the path is known only at boot, or no such text parses as TOML.
 */
function templateConfigOf(path: string | undefined, text: string, texts: ReadonlyMap<string, string>): Record<string, unknown> | undefined {
  if (path === undefined || path === '' || path.includes('$') || path.includes('{{')) return undefined;
  const name = path.split('/').pop()!;
  const body = heredoc(text, name) ?? [...texts].find(([p]) => isFileNamed(p, name))?.[1];
  if (body === undefined) return undefined;
  try {
    return parseToml(body);
  } catch {
    return undefined;
  }
}

/** The identity types an `identity { type = … }` block gives, or none. */
function identityOf(body: Record<string, unknown>): string | undefined {
  const type = first(body.identity)?.type;
  return typeof type === 'string' && type.trim() !== '' && type !== 'None' ? type : undefined;
}

const WHOLE_REF = /^\$\{([A-Za-z0-9_.\-[\]]+)\}$/;

/** A Terraform value as a message shows it: a reference to a resource's id by the resource's address, else the text (short). */
function shownScope(v: unknown): string {
  const ref = typeof v === 'string' ? WHOLE_REF.exec(v) : null;
  if (ref) return ref[1]!.replace(/\.id$/, '');
  return typeof v === 'string' ? shownText(v, 80) : 'a scope the files do not show';
}

/** A role as a message names it: `role_definition_name`, or the custom role a `role_definition_id` references, with its actions. */
function roleShown(root: TerraformRoot, a: Record<string, unknown>): string {
  if (typeof a.role_definition_name === 'string') return JSON.stringify(shownText(a.role_definition_name, 80));
  const ref = typeof a.role_definition_id === 'string' ? /^\$\{azurerm_role_definition\.([A-Za-z0-9_-]+)\.(?:role_definition_resource_id|role_definition_id|id)\}$/.exec(a.role_definition_id) : null;
  const def = ref ? root.resource.azurerm_role_definition?.[ref[1]!] : undefined;
  if (!def) return typeof a.role_definition_id === 'string' ? `role definition ${shownScope(a.role_definition_id)}` : 'a role the files do not show';
  const actions = [first(def.permissions)?.actions].flat().filter((x): x is string => typeof x === 'string');
  const name = typeof def.name === 'string' ? JSON.stringify(shownText(def.name, 80)) : `azurerm_role_definition.${ref![1]!}`;
  return actions.length > 0 ? `${name} with ${actions.slice(0, 3).map((x) => shownText(x, 80)).join(', ')}${actions.length > 3 ? ` and ${actions.length - 3} more actions` : ''}` : name;
}

/**
 * The role assignments the files give the VM's managed identity (`azurerm_role_assignment` whose
 * `principal_id` is the VM's system-assigned identity, `<vm>.identity[0].principal_id`, or a
 * user-assigned identity it lists in `identity_ids`, `<identity>.principal_id`), as `role at scope (place)`.
 * Shown, not judged: what each role may do on Azure is not modelled for a VM.
 */
function assignmentsOf(ev: Evidence, root: TerraformRoot, address: string, body: Record<string, unknown>): string[] {
  const principals = new Set([`${address}.identity[0].principal_id`, `${address}.identity.0.principal_id`]);
  for (const id of [first(body.identity)?.identity_ids].flat()) {
    const ref = typeof id === 'string' ? /^\$\{(azurerm_user_assigned_identity\.[A-Za-z0-9_-]+)\.id\}$/.exec(id) : null;
    if (ref) principals.add(`${ref[1]!}.principal_id`);
  }
  const out: string[] = [];
  for (const [k, a] of Object.entries(root.resource.azurerm_role_assignment ?? {})) {
    const p = typeof a.principal_id === 'string' ? WHOLE_REF.exec(a.principal_id)?.[1] : undefined;
    if (p === undefined || !principals.has(p)) continue;
    const origin = ev.terraform.origins.get(`azurerm_role_assignment.${k}`);
    out.push(`${roleShown(root, a)} at ${shownScope(a.scope)}${origin ? `, written at ${formatPosition(originAt(origin))}` : ''}`);
  }
  return out;
}

/** The scale set resource types, of which the Azure fleeting plugin scales one. */
const SCALE_SET_TYPES = Object.keys(VM_TYPES).filter((t) => t.endsWith('_scale_set'));

/**
 * `[runners.autoscaler] plugin` naming the Azure fleeting plugin: `fleeting-plugin-azure` (its binary,
 * by name or path), or the OCI reference `gitlab-runner fleeting install` fetches
 * (`gitlab/fleeting-plugin-azure[:version]`).
 */
const AZURE_PLUGIN = /(?:^|\/)fleeting-plugin-azure(?::[^/]*)?$/;

/** The user-assigned identities an `identity` block lists (`identity_ids`), as written. */
function identityIds(body: Record<string, unknown>): string[] {
  return [first(body.identity)?.identity_ids].flat().filter((x): x is string => typeof x === 'string');
}

/**
 * A docker-autoscaler manager's jobs run on the VMs of the scale set its Azure fleeting plugin
 * scales: `[runners.autoscaler.plugin_config] name` (with `subscription_id` and
 * `resource_group_name`; gitlab.com/gitlab-org/fleeting/plugins/azure, merge request 2 "Initial
 * implementation", and GitLab Runner's Docker Autoscaler docs: "a dedicated scale set" on Azure).
 * A managed identity on that scale set answers every job from IMDS, as the manager's does its own
 * jobs (RF713 above): RF713 at the scale set's `identity`, as an error where it is the manager's own
 * user-assigned identity (jobs then hold the manager's rights, scaling included), else a warning,
 * as runner-fleet's ec2-autoscaler says of a worker instance profile (platforms/ec2-autoscaler). A
 * scale set the files do not name is RF903.
 */
function jobScaleSetFindings(ev: Evidence, root: TerraformRoot, address: string, body: Record<string, unknown>, toml: Record<string, unknown>, at: string): Finding[] {
  const plugin = get(toml, 'runners', 0, 'autoscaler', 'plugin');
  if (typeof plugin !== 'string' || !AZURE_PLUGIN.test(plugin.trim())) return [];
  const name = get(toml, 'runners', 0, 'autoscaler', 'plugin_config', 'name');
  const shownName = typeof name === 'string' && name !== '' ? `plugin_config name ${JSON.stringify(shownText(name, 80))}` : 'no plugin_config name';
  let set: { type: string; key: string } | undefined;
  for (const type of SCALE_SET_TYPES) {
    const key = typeof name === 'string' && name !== '' ? resolveKey(root, type, name) : undefined;
    if (key !== undefined) {
      set = { type, key };
      break;
    }
  }
  if (!set) {
    return [
      finding(
        'RF903',
        at,
        `the jobs of the runner manager ${address} run on the VMs of the scale set its Azure fleeting plugin scales (${shownName}), and no Azure scale set of the files given is that one: whether those VMs carry a managed identity, which every job could take from the instance metadata service, is not shown`,
        'give the Terraform of the job scale set (its `name` as plugin_config names it); it should have no `identity`, the manager VM keeps the one the plugin needs',
      ),
    ];
  }
  const setAddress = `${set.type}.${set.key}`;
  const setBody = root.resource[set.type]![set.key]!;
  const identity = identityOf(setBody);
  if (identity === undefined) return [];
  const origin = ev.terraform.origins.get(setAddress);
  const shared = identityIds(setBody).filter((id) => identityIds(body).includes(id));
  const assigned = assignmentsOf(ev, root, setAddress, setBody);
  const grants = assigned.length > 0 ? `the files give that identity ${assigned.slice(0, 3).join('; ')}${assigned.length > 3 ? `; and ${assigned.length - 3} more` : ''}` : 'the files give that identity no role assignment';
  return [
    {
      ...finding(
        'RF713',
        origin ? formatPosition(originAt(origin, 'identity')) : at,
        `the jobs of the runner manager ${address} (docker-autoscaler, ${shownName}) run on the VMs of scale set ${setAddress}, which has a managed identity (${identity})${shared.length > 0 ? `, the manager's own user-assigned identity ${shownScope(shared[0])}` : ''}: any job can ask the Azure Instance Metadata Service (169.254.169.254, reachable from a job container through its VM) for a token of that identity, so every job holds ${shared.length > 0 ? 'what the manager holds, the right to scale the scale set included' : 'whatever it is granted'}; ${grants}`,
        `remove the \`identity\` block from the job scale set ${setAddress} and keep the managed identity on the manager VM ${address}, which is what the fleeting plugin needs to scale it; jobs that need Azure access get it from GitLab CI id_tokens (workload identity federation), never from the job VM`,
      ),
      ...(shared.length > 0 ? {} : { severity: 'warning' as const }),
    },
  ];
}

/**
 * The Azure VM runner managers of the root, and what the doctor says of them: where jobs on the
 * manager's own machine can take its managed identity from the instance metadata service (RF713),
 * and, for each, that its identity chain is not proven (RF903). `found` counts the managers (RF910
 * is not said where one is).
 */
export function azureVmRunners(ev: Evidence, root: TerraformRoot): { found: number; findings: Finding[] } {
  const findings: Finding[] = [];
  let found = 0;
  const texts = new Map<string, string>();
  for (const a of ev.artifacts) if (a.format === 'text') texts.set(a.path, a.content);
  for (const type of Object.keys(VM_TYPES)) {
    for (const [k, body] of Object.entries(root.resource[type] ?? {})) {
      const origin = ev.terraform.origins.get(`${type}.${k}`);
      if (!origin) continue;
      const address = `${type}.${k}`;
      const pieces = setupOf(ev, root, type, k, body, origin, texts);
      let manager: { piece: SetupPiece; registers: boolean; executor?: string; toml?: Record<string, unknown> } | undefined;
      for (const piece of pieces) {
        const read = piece.text === undefined ? undefined : executorOf(piece.text, ev.texts ?? texts);
        if (read) {
          manager = { piece, ...read };
          break;
        }
      }
      if (!manager) continue;
      found++;
      const identity = identityOf(body);
      const assigned = identity !== undefined ? assignmentsOf(ev, root, address, body) : [];
      const executor = manager.executor;
      const how = `${manager.registers ? 'runs `gitlab-runner register`' : 'writes a config.toml'} in ${manager.piece.where}`;
      if (identity !== undefined && executor !== undefined && JOBS_ON_HOST.has(executor)) {
        // IMDS answers any process on the VM, and a container on Docker's bridge network reaches it
        // through the host (Azure docs: IMDS "is accessible only from within the VM", at 169.254.169.254;
        // AKS says the same of pods without hostNetwork, PodLinkLocalAccess "Imds"). There is no hop
        // limit as on AWS: the `Metadata: true` header is all a job needs to ask for a token.
        findings.push(
          finding(
            'RF713',
            formatPosition(originAt(origin, 'identity')),
            `the runner manager ${address} (${how}) has a managed identity (${identity}), and its ${executor} executor runs jobs on the same machine: any job can ask the Azure Instance Metadata Service (169.254.169.254, reachable from a container through the VM) for a token of that identity, so every job holds what the manager holds`,
            executor === 'shell'
              ? 'run jobs on other machines than the one holding the identity (the docker-autoscaler executor with a scale set of its own that has no identity), or give the VM no managed identity'
              : 'block 169.254.169.254 for job containers (an iptables rule in the DOCKER-USER chain dropping traffic from the Docker bridge to it), or run jobs on machines without the identity (the docker-autoscaler executor and a scale set with no identity)',
          ),
        );
      }
      if (executor === 'docker-autoscaler' && manager.toml) findings.push(...jobScaleSetFindings(ev, root, address, body, manager.toml, manager.piece.at));
      findings.push(
        finding(
          'RF903',
          manager.piece.at,
          `${address} is a runner manager (it ${how}${executor !== undefined ? `, executor ${executor}` : ''}); the doctor reads an Azure VM's setup and identity but does not prove its chain: ${identity !== undefined ? `the role assignments of its managed identity (${identity})` : 'its identity (it has none: `identity` is not set)'}, the cache's storage account, and the runner's registration in GitLab are not checked${identity === undefined ? '' : assigned.length > 0 ? `; the files give that identity ${assigned.slice(0, 3).join('; ')}${assigned.length > 3 ? `; and ${assigned.length - 3} more` : ''}` : '; the files give that identity no role assignment'}`,
          'run runners on AKS with Azure Workload Identity, which runner-fleet plans and proves; or review the VM identity\'s role assignments by hand',
        ),
      );
    }
  }
  return { found, findings };
}
