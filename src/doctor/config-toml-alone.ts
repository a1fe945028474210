import type { Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import { describeEscape, dockerHostEscapes, escapeFindings, ON_SOME_HOST, type DockerEscape } from '../verify/docker-escape.js';
import { DOCKER_MACHINE_DEPRECATED, DOCKER_MACHINE_EXECUTOR, DOCKER_MACHINE_FIX, jobSettings, machineKeyFix, machineOptionCredentials, privilegedDeploymentFix, privilegedMessage, privilegedSettingFix, serviceAccountOverwriteMessage } from '../verify/runner-toml.js';
import { get, getText } from '../verify/get.js';
import { kubernetesEscapes } from './kubernetes-escapes.js';
import type { PatchFileReader } from './pod-spec-patch-path.js';
import { formatPosition, originAt, tomlSettingSaid, type Origin } from './source.js';
import type { Located } from './evidence.js';
import { alsoAt } from './secrets.js';
import { TOKEN_EXPANSION_SINCE, installedVersion } from '../platforms/aws-vm/user-data.js';
import { pinsWritten, releaseBefore, versionNumbers } from '../platforms/aws-vm/runner-pins.js';

/**
 * A config.toml that no runner manager of the evidence takes (no chart, workload or launch template
 * the doctor found runs it): what its own settings show is checked, for every `[[runners]]` entry,
 * with the rules the chains use, each finding at the key. What needs the manager (its identity,
 * the cache it signs for, the metadata service its jobs may reach) is not proven: RF910 or RF903 says so.
 */

/** What a job reaches once on the host, where the documents do not say which host that is. */

/** The names of the checks, for RF910's message. */
export const ALONE_CHECKS = "privileged jobs and the ways out of a job's container ([runners.docker]; [runners.kubernetes] host_path volumes, added capabilities and pod_spec patches; RF301/RF309), the job service account overwrite (RF107), cloud keys in [runners.machine] MachineOptions (RF940; RF928 for a placeholder) and the deprecated docker+machine executor (RF925)";

/**
 * The findings of one config.toml alone. `scanned`: the credential scan's findings (RF940) with a
 * place in this file (`secretFindingsByFile`). A MachineOptions entry that sets a key option is said
 * once, here, with its option and entry: a scan finding with a place at that entry (the scan reads
 * the entry by the same rule, `machineKey`, or finds an access key id by its shape) is returned in
 * `restated`, to be left out, whatever credential it names, and its other places are named here
 * (each copy has to go). A scan finding at another entry, or another option on the same line, stays.
 */
export function configTomlAloneFindings(t: Located<Record<string, unknown>>, scanned: readonly Finding[] = [], patchFile?: PatchFileReader): { findings: Finding[]; restated: Finding[] } {
  const out: Finding[] = [];
  const restated: Finding[] = [];
  const at = (path: readonly (string | number)[]) => formatPosition(originAt(t.origin, ...path));
  out.push(...configTomlJobFindings(t.value, at, t.origin, patchFile));
  const scanHere = scanned.filter((g) => g.subject?.kind === 'secret');
  for (const c of machineOptionCredentials(t.value)) {
    const path = at(c.at);
    const driver = get(t.value, 'runners', c.at[1]!, 'machine', 'MachineDriver');
    const where = `[runners.machine] MachineOptions ${c.option}${entry(Number(c.at[1]))}${typeof driver === 'string' ? ` (MachineDriver ${JSON.stringify(driver)})` : ''}`;
    if (c.placeholder) {
      // The credential scan's RF928 at this entry (it reads every file's key options by the same rule): this finding says it, with the driver.
      restated.push(...scanned.filter((g) => g.code === 'RF928' && g.path === path && !restated.includes(g)));
      out.push({ code: 'RF928', severity: CODES.RF928.severity, path, message: `${t.origin.source.path} sets ${where} to a placeholder or a variable, not a key (value not shown): whatever fills it in hands docker-machine a static key that never expires`, fix: machineKeyFix(c.option, c.cloud, true) });
      continue;
    }
    // The scan's findings at this entry (one entry is one option): this finding says them.
    const same = scanHere.filter((g) => g.subject?.kind === 'secret' && g.subject.places.some((p) => formatPosition(p) === path));
    restated.push(...same.filter((g) => !restated.includes(g)));
    const copies = same.flatMap((g) => (g.subject?.kind === 'secret' ? g.subject.places.filter((p) => formatPosition(p) !== path) : []));
    out.push({ code: 'RF940', severity: CODES.RF940.severity, path, message: `${c.what} is written in ${t.origin.source.path} at ${where}: docker-machine creates and removes the job machines with it (value not shown)${alsoAt(copies)}`, fix: machineKeyFix(c.option, c.cloud) });
  }
  return { findings: out, restated };
}

/**
 * The job checks of a config.toml's own settings, for every `[[runners]]` entry: RF301, RF107, RF925
 * (entryJobFindings) and the ways out of a Docker job container (RF309, the chains' classification
 * and wording), each at `at(key)`. Also what a manager whose chain is not built (no instance profile)
 * says of the config.toml it boots: those settings do not depend on its identity.
 */
export function configTomlJobFindings(toml: Record<string, unknown>, at: (path: readonly (string | number)[]) => string, origin?: Origin, patchFile?: PatchFileReader): Finding[] {
  return jobFindingsByKey(toml, origin, undefined, patchFile).map(({ finding, key }) => ({ ...finding, path: at(key) }));
}

/**
 * What a job that leaves its container takes over, where the host is known (the manager's platform
 * says it, as its chain does): `privileged`, what RF301 of entry 0 names ("a job can take over …");
 * `fromHost`, RF309's close. Without it, the words of a config.toml whose host is not known.
 */
export interface HostTakeOver {
  privileged: string;
  fromHost: string;
}

/**
 * configTomlJobFindings' findings, each with the key path it is about, for the caller to place.
 * `takeOver`: where the host is known, entry 0's RF301 and every RF309 are said in its chain's words
 * (verify/index.ts jobRules, the platform's escapeFindings); later entries' RF301 as laterEntriesFindings says them.
 */
export function jobFindingsByKey(toml: Record<string, unknown>, origin?: Origin, takeOver?: HostTakeOver, patchFile?: PatchFileReader): { finding: Finding; key: (string | number)[] }[] {
  const out: { finding: Finding; key: (string | number)[] }[] = [];
  const runners = Array.isArray(toml.runners) ? toml.runners : [];
  const escapes = dockerHostEscapes(toml);
  const privilegedOf = new Map(escapes.filter((e) => e.key === 'privileged').map((e) => [e.at[1], e]));
  runners.forEach((_, i) => {
    for (const x of entryJobFindings(toml, i, privilegedOf.get(i), origin, patchFile)) {
      const docker = i === 0 && takeOver !== undefined && x.finding.code === 'RF301' && privilegedOf.has(0);
      out.push(docker ? { ...x, finding: { ...x.finding, message: privilegedMessage(takeOver.privileged) } } : x);
    }
  });
  const others = escapes.filter((e) => e.key !== 'privileged');
  escapeFindings(escapes, '', takeOver?.fromHost ?? ON_SOME_HOST).forEach((f, n) => out.push({ finding: f, key: [...others[n]!.at] }));
  return out;
}

/** ` of [[runners]] entry i`; entry 0 unnamed, as describeEscape does. */
const entry = (i: number) => (i > 0 ? ` of [[runners]] entry ${i}` : '');

/**
 * RF301, RF107 and RF925 of `[[runners]]` entry `i`, each with the key path it is about
 * (`['runners', i, 'docker', 'privileged']`), for the caller to place (its `path` is left empty).
 * `privileged`: the entry's `privileged` escape of dockerHostEscapes, where it is a Docker
 * executor's, said with what lets a job out. `origin`: the config.toml's, where a setting may have been
 * written as something else (an env variable register reads, a chart value): said as the user wrote it.
 */
function entryJobFindings(toml: unknown, i: number, privileged: DockerEscape | undefined, origin?: Origin, patchFile?: PatchFileReader): { finding: Finding; key: (string | number)[] }[] {
  const out: { finding: Finding; key: (string | number)[] }[] = [];
  const said = (key: readonly (string | number)[], setting: string) => (origin ? tomlSettingSaid(origin, key, setting) : `config.toml ${setting}`);
  const job = jobSettings(toml, i);
  // Set where the user wrote it: an env variable or values key register reads, else config.toml's key.
  const privilegedFix = (key: readonly (string | number)[]) => {
    const written = origin?.source.writtenAs(origin.doc, [...origin.path, ...key]);
    return written !== undefined ? privilegedSettingFix(written) : privilegedDeploymentFix(job);
  };
  // Privileged Docker jobs are said with what lets them out (describeEscape); any other executor's by its table.
  const docker = job.section === 'docker' ? privileged : undefined;
  if (job.privileged) {
    out.push({ key: ['runners', i, job.section, 'privileged'], finding: { code: 'RF301', severity: CODES.RF301.severity, path: '', message: docker ? `config.toml ${describeEscape(docker)} ${docker.lets}` : `${said(['runners', i, job.section, 'privileged'], `[runners.${job.section}] privileged = true`)}${entry(i)}: job containers run privileged, and a job can take over the node it runs on and every credential on it`, received: 'true', allowed: 'false', fix: privilegedFix(['runners', i, job.section, 'privileged']) } });
  }
  if (job.serviceAccountOverwrite !== undefined) {
    out.push({ key: ['runners', i, job.section, 'service_account_overwrite_allowed'], finding: { code: 'RF107', severity: CODES.RF107.severity, path: '', message: `${said(['runners', i, job.section, 'service_account_overwrite_allowed'], `[runners.${job.section}] service_account_overwrite_allowed`)}${entry(i)}: ${serviceAccountOverwriteMessage(job.serviceAccountOverwrite)}`, received: JSON.stringify(job.serviceAccountOverwrite), fix: 'remove service_account_overwrite_allowed, or narrow it to service accounts made for jobs' } });
  }
  if (job.section === 'kubernetes') out.push(...kubernetesEscapeFindings(toml, i, patchFile));
  if (job.executor === DOCKER_MACHINE_EXECUTOR) {
    out.push({ key: ['runners', i, 'executor'], finding: { code: 'RF925', severity: CODES.RF925.severity, path: '', message: `${said(['runners', i, 'executor'], 'executor = "docker+machine"')}${entry(i)}: ${DOCKER_MACHINE_DEPRECATED}`, received: JSON.stringify(DOCKER_MACHINE_EXECUTOR), allowed: '"docker-autoscaler"', fix: DOCKER_MACHINE_FIX } });
  }
  return out;
}

/** What a job that reaches the node takes (a host_path mount that is not `contained`). */
const FROM_NODE = "from the node a job takes what the node holds: the kubelet's credentials, the service account tokens of every pod on it (the runner manager's where it runs there) and the node's cloud identity";

/**
 * RF309 (RF301 for a privileged container) for each way out of its pod's containers that entry `i`'s
 * `[runners.kubernetes]` hands jobs (kubernetesEscapes: host_path mounts, added capabilities, pod_spec
 * patches), each with the key path it is about. The k8s chain says entry 0's itself (its proofs read
 * the rest of entry 0); entryJobFindings says every other's.
 */
export function kubernetesEscapeFindings(toml: unknown, i: number, patchFile?: PatchFileReader): { finding: Finding; key: (string | number)[] }[] {
  return kubernetesEscapes(toml, i, patchFile).map((e) => ({
    key: e.at,
    finding: { code: e.code, severity: e.severity ?? CODES[e.code].severity, path: '', message: `config.toml ${e.said}${entry(i)} ${e.lets}${e.contained || e.code === 'RF301' ? '' : `; ${FROM_NODE}`}`, received: e.received, fix: e.fix },
  }));
}

/**
 * Where a key of a runner's config.toml is written: `path` (file:line:column), and `where` in it when
 * that is inside a text (a line of user data), else ''; `flag`, where a `gitlab-runner register` flag
 * set the key (the config.toml is rebuilt from the command), its name without dashes.
 */
export type TomlPlace = (path: readonly (string | number)[]) => { path: string; where: string; flag?: string };

/**
 * A config.toml a runner manager boots with, holding more than one `[[runners]]` entry: the manager
 * runs them all, with its own identity, and its chain proves entry 0 (its cache, its jobs' identity,
 * its registration). The other entries' job settings are checked at their keys (RF301, RF107, RF925;
 * Docker escapes are RF309 of the chain already, every entry), and one RF903 says what is not proven
 * of them. `runner`: the chain's name.
 */
export function laterEntriesFindings(toml: unknown, place: TomlPlace, runner: string, patchFile?: PatchFileReader): Finding[] {
  const runners = get(toml, 'runners');
  if (!Array.isArray(runners) || runners.length < 2) return [];
  const where = (f: Finding, at: readonly (string | number)[]): Finding => {
    const p = place(at);
    return { ...f, path: p.path, message: `runner ${runner}${p.where !== '' ? `, ${p.where}` : ''}: ${f.message}` };
  };
  const privilegedOf = new Map(dockerHostEscapes(toml).filter((e) => e.key === 'privileged').map((e) => [e.at[1], e]));
  const out: Finding[] = [];
  for (let i = 1; i < runners.length; i++) for (const { finding, key } of entryJobFindings(toml, i, privilegedOf.get(i), undefined, patchFile)) out.push(where(finding, key));
  const named = (i: number) => {
    const name = get(runners[i], 'name');
    return typeof name === 'string' && /^[\w .@:/-]{1,60}$/.test(name) ? `${i} (${JSON.stringify(name)})` : String(i);
  };
  const others = runners.slice(1, 6).map((_, n) => named(n + 1)).join(', ') + (runners.length > 6 ? ` and ${runners.length - 6} more` : '');
  // The chains of the VM platforms check the Docker escapes of every entry (RF309).
  const docker = runners.slice(1).some((r) => getText(r, 'executor').startsWith('docker'));
  const kubernetes = runners.slice(1).some((r) => getText(r, 'executor') === 'kubernetes');
  const checked = `privileged jobs, RF301; ${docker ? 'the ways out of a Docker job container, RF309; ' : ''}${kubernetes ? "the node's paths, capabilities and pod_spec patches handed to job pods, RF309; " : ''}the job service account overwrite, RF107`;
  out.push(where({ code: 'RF903', severity: CODES.RF903.severity, path: '', message: `its config.toml has ${runners.length} [[runners]] entries, and the manager runs every one with its own identity, but the chain proves entry 0 only. Of entr${runners.length > 2 ? 'ies' : 'y'} ${others}, the job settings are checked (${checked}); the cache each signs for, the identity its jobs hold and its registration in GitLab are not proven`, fix: 'run one runner per manager (a chart release, workload or launch template each), so the doctor proves each' }, ['runners', 1]));
  return out;
}

/** The credential scan's RF940 findings by the files they have a place in, and its RF928 by its file: each config.toml looks up its own. */
export function secretFindingsByFile(findings: readonly Finding[]): Map<string, Finding[]> {
  const out = new Map<string, Finding[]>();
  for (const f of findings) {
    const note = f.code === 'RF928' && /:\d+:\d+$/.test(f.path) ? [f.path.replace(/:\d+:\d+$/, '')] : undefined;
    if (!note && (f.code !== 'RF940' || f.subject?.kind !== 'secret')) continue;
    for (const file of note ?? new Set(f.subject?.kind === 'secret' ? f.subject.places.map((p) => p.file) : [])) {
      const list = out.get(file);
      if (list) list.push(f);
      else out.set(file, [f]);
    }
  }
  return out;
}

const TOKEN_AS_VARIABLE = /^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$/;
// The official image by tag: `gitlab/gitlab-runner:v18.9.0`, `:alpine-v18.9.0`, `:ubuntu-v18.9.0` (a registry host may precede it).
const SCRIPT_NAME = /\.(?:sh|bash)$/i;
const IMAGE_FILE_NAME = /(?:^|\/)(?:Dockerfile[^/]*|[^/]*\.Dockerfile|(?:docker-)?compose[^/]*\.ya?ml)$/i;

/**
 * The gitlab-runner releases the files beside a config.toml pin (same folder): a script's pinned
 * package or download, read by the boot-script reader itself (unexpandedTokens, asked about a probe
 * entry appended to the script, so both read pins alike), and the official image's tag in a
 * Dockerfile or compose file. `old`: the pins before TOKEN_EXPANSION_SINCE; `other`: any other pin.
 */
function runnerPinsBeside(tomlPath: string, texts: ReadonlyMap<string, string>): { old: { version: string; file: string }[]; other: number } {
  const folder = tomlPath.includes('/') ? tomlPath.slice(0, tomlPath.lastIndexOf('/') + 1) : '';
  const old: { version: string; file: string }[] = [];
  let other = 0;
  for (const [path, text] of texts) {
    if (path === tomlPath || !path.startsWith(folder) || path.slice(folder.length).includes('/')) continue;
    if (SCRIPT_NAME.test(path) || text.startsWith('#!')) {
      // The one version the script installs (runner-pins.ts, its shell variables read), as RF723 reads a boot script's.
      const v = installedVersion(text);
      if (v !== undefined && releaseBefore(v, TOKEN_EXPANSION_SINCE)) old.push({ version: v.join('.'), file: path });
      else if (v !== undefined) other++;
      continue;
    }
    if (!IMAGE_FILE_NAME.test(path)) continue;
    // Each gitlab-runner image tag of a Dockerfile or compose file (runner-pins.ts; a variable's tag is not read).
    for (const pin of pinsWritten(text)) {
      const v = pin.variable === undefined ? versionNumbers(pin.written) : undefined;
      if (v === undefined) continue;
      if (releaseBefore(v, TOKEN_EXPANSION_SINCE)) old.push({ version: v.join('.'), file: path });
      else other++;
    }
  }
  return { old, other };
}

/**
 * RF723 for a config.toml given as a file: a `[[runners]]` token written as a variable (`token =
 * "$RUNNER_TOKEN"`) beside a script, Dockerfile or compose file of the same folder that pins a
 * gitlab-runner older than TOKEN_EXPANSION_SINCE, which sends that text as the token. Unpinned,
 * `latest`, or pins that disagree (one old, one not): which release reads the file is not known, nothing said.
 */
export function unexpandedTokenFileFindings(t: Located<Record<string, unknown>>, texts: ReadonlyMap<string, string> | undefined): Finding[] {
  const runners = get(t.value, 'runners');
  if (!texts || !Array.isArray(runners)) return [];
  const entries = runners.flatMap((r, i) => {
    const token = get(r, 'token');
    return typeof token === 'string' && TOKEN_AS_VARIABLE.test(token) ? [{ i, token }] : [];
  });
  if (entries.length === 0) return [];
  const pins = runnerPinsBeside(t.origin.source.path, texts);
  if (pins.old.length === 0 || pins.other > 0) return [];
  const pin = pins.old[0]!;
  const since = TOKEN_EXPANSION_SINCE.join('.');
  return entries.map(({ i, token }) => ({
    code: 'RF723',
    severity: CODES.RF723.severity,
    path: formatPosition(originAt(t.origin, 'runners', i, 'token')),
    message: `${t.origin.source.path} gives the runner token as token = "${token}"${entry(i)}, and ${pin.file} installs gitlab-runner ${pin.version}, which sends that text as the token: gitlab-runner expands variables in config.toml's token only from ${since} on, so GitLab refuses the manager and no job runs`,
    received: `gitlab-runner ${pin.version}`,
    allowed: `gitlab-runner ${since} or later`,
    fix: `install gitlab-runner ${since} or later (in ${pin.file}), or write the token itself into config.toml when the manager starts (gitlab-runner register --token does)`,
  }));
}
