import type { Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import { describeEscape, dockerHostEscapes, escapeFindings } from '../verify/docker-escape.js';
import { DOCKER_MACHINE_EXECUTOR, jobSettings, machineKeyFix, machineOptionCredentials, privilegedDeploymentFix, serviceAccountOverwriteMessage } from '../verify/runner-toml.js';
import { get } from '../verify/get.js';
import { formatPosition, originAt } from './source.js';
import type { Located } from './evidence.js';
import { alsoAt } from './secrets.js';

/**
 * A config.toml that no runner manager of the evidence takes (no chart, workload or launch template
 * the doctor found runs it): what its own settings show is checked, for every `[[runners]]` entry,
 * with the rules the chains use, each finding at the key. What needs the manager (its identity,
 * the cache it signs for, the metadata service its jobs may reach) is not proven: RF910 or RF903 says so.
 */

/** What a job reaches once on the host, where the documents do not say which host that is. */
const ON_SOME_HOST = "from the host a job takes what the host holds: its cloud credentials and, where the runner manager runs on it, config.toml with every runner's token";

/** The names of the checks, for RF910's message. */
export const ALONE_CHECKS = "privileged jobs and the ways out of a job's container ([runners.docker], RF301/RF309), the job service account overwrite (RF107), cloud keys in [runners.machine] MachineOptions (RF940; RF928 for a placeholder) and the deprecated docker+machine executor (RF925)";

/**
 * The findings of one config.toml alone. `scanned`: the credential scan's findings (RF940) with a
 * place in this file (`secretFindingsByFile`). A MachineOptions entry that sets a key option is said
 * once, here, with its option and entry: a scan finding with a place at that entry (the scan reads
 * the entry by the same rule, `machineKey`, or finds an access key id by its shape) is returned in
 * `restated`, to be left out, whatever credential it names, and its other places are named here
 * (each copy has to go). A scan finding at another entry, or another option on the same line, stays.
 */
export function configTomlAloneFindings(t: Located<Record<string, unknown>>, scanned: readonly Finding[] = []): { findings: Finding[]; restated: Finding[] } {
  const out: Finding[] = [];
  const restated: Finding[] = [];
  const at = (path: readonly (string | number)[]) => formatPosition(originAt(t.origin, ...path));
  const runners = Array.isArray(t.value.runners) ? t.value.runners : [];
  // Entry 0 unnamed, as describeEscape does.
  const entry = (i: number) => (i > 0 ? ` of [[runners]] entry ${i}` : '');
  const escapes = dockerHostEscapes(t.value);
  const privilegedOf = new Map(escapes.filter((e) => e.key === 'privileged').map((e) => [e.at[1], e]));
  runners.forEach((_, i) => {
    const job = jobSettings(t.value, i);
    // Privileged Docker jobs are said with what lets them out (describeEscape); any other executor's by its table.
    const privileged = job.section === 'docker' ? privilegedOf.get(i) : undefined;
    if (job.privileged) {
      out.push({ code: 'RF301', severity: CODES.RF301.severity, path: at(['runners', i, job.section, 'privileged']), message: privileged ? `config.toml ${describeEscape(privileged)} ${privileged.lets}` : `config.toml [runners.${job.section}] privileged = true${entry(i)}: job containers run privileged, and a job can take over the node it runs on and every credential on it`, received: 'true', allowed: 'false', fix: privilegedDeploymentFix(job) });
    }
    if (job.serviceAccountOverwrite !== undefined) {
      out.push({ code: 'RF107', severity: CODES.RF107.severity, path: at(['runners', i, job.section, 'service_account_overwrite_allowed']), message: `config.toml [runners.${job.section}] service_account_overwrite_allowed${entry(i)}: ${serviceAccountOverwriteMessage(job.serviceAccountOverwrite)}`, received: JSON.stringify(job.serviceAccountOverwrite), fix: 'remove service_account_overwrite_allowed, or narrow it to service accounts made for jobs' });
    }
    if (job.executor === DOCKER_MACHINE_EXECUTOR) {
      out.push({ code: 'RF925', severity: CODES.RF925.severity, path: at(['runners', i, 'executor']), message: `config.toml executor = "docker+machine"${entry(i)}: GitLab deprecated the Docker Machine executor in GitLab 17.5 and ends its support in GitLab 20.0 (May 2027); its docker-machine fork takes security fixes only`, received: JSON.stringify(DOCKER_MACHINE_EXECUTOR), allowed: '"docker-autoscaler"', fix: `move the runner to executor = "docker-autoscaler" with the fleeting plugin of its cloud ([runners.autoscaler], fleeting-plugin-aws on an Auto Scaling group); runner-fleet's ec2-autoscaler platform writes such a runner with its identities` });
    }
  });
  // RF309: the chains' classification and wording, each at its key.
  const others = escapes.filter((e) => e.key !== 'privileged');
  escapeFindings(escapes, '', ON_SOME_HOST).forEach((f, n) => out.push({ ...f, path: at(others[n]!.at) }));
  const scanHere = scanned.filter((g) => g.subject?.kind === 'secret');
  for (const c of machineOptionCredentials(t.value)) {
    const path = at(c.at);
    const driver = get(t.value, 'runners', c.at[1]!, 'machine', 'MachineDriver');
    const where = `[runners.machine] MachineOptions ${c.option}${entry(Number(c.at[1]))}${typeof driver === 'string' ? ` (MachineDriver ${JSON.stringify(driver)})` : ''}`;
    if (c.placeholder) {
      out.push({ code: 'RF928', severity: CODES.RF928.severity, path, message: `${t.origin.source.path} sets ${where} to a placeholder or a variable, not a key (value not shown): whatever fills it in hands docker-machine a static key that never expires`, fix: machineKeyFix(c.option, c.cloud, true) });
      continue;
    }
    // The scan's findings at this entry (one entry is one option): this finding says them.
    const same = scanHere.filter((g) => g.subject?.kind === 'secret' && g.subject.places.some((p) => formatPosition(p) === path));
    restated.push(...same.filter((g) => !restated.includes(g)));
    const copies = same.flatMap((g) => (g.subject?.kind === 'secret' ? g.subject.places.filter((p) => formatPosition(p) !== path) : []));
    out.push({ code: 'RF940', severity: CODES.RF940.severity, path, message: `${c.what} is written in ${t.origin.source.path} at ${where} (value not shown): docker-machine creates and removes the job machines with it${alsoAt(copies)}`, fix: machineKeyFix(c.option, c.cloud) });
  }
  return { findings: out, restated };
}

/** The credential scan's RF940 findings by the files they have a place in: each config.toml looks up its own. */
export function secretFindingsByFile(findings: readonly Finding[]): Map<string, Finding[]> {
  const out = new Map<string, Finding[]>();
  for (const f of findings) {
    if (f.code !== 'RF940' || f.subject?.kind !== 'secret') continue;
    for (const file of new Set(f.subject.places.map((p) => p.file))) {
      const list = out.get(file);
      if (list) list.push(f);
      else out.set(file, [f]);
    }
  }
  return out;
}
