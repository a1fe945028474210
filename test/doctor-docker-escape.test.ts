import { describe, expect, it } from 'vitest';
import { exampleFiles } from './helpers/fleet.js';
import { planText } from '../src/core.js';
import { doctor, type DoctorResult, type InputFile } from '../src/doctor/index.js';
import { dockerHostEscapes, ESCAPE_KEYS } from '../src/verify/docker-escape.js';
import { KNOWN_TOML_KEYS, unknownTomlKeys } from '../src/emit/toml/known-keys.js';
import { readFileSync } from 'node:fs';

/**
 * Issue 8b: on the Docker platforms the proof that job containers cannot reach the instance
 * credentials rests on IMDSv2 with hop limit 1 (a container behind Docker's bridge is one hop
 * further). A `[runners.docker]` setting that lets a job reach the host undoes it, wherever the
 * config.toml is written: the doctor reads the one that boots (the user data's) and says where.
 */

type Root = { resource: Record<string, Record<string, Record<string, unknown>>> };

const IMDS = 'job containers cannot reach the instance credentials (IMDSv2 required, hop limit 1)';
const CACHE = 'jobs cannot reach cache shared directly';

/** The synth output of an example with its config.toml edited where it boots (user data) and, unless `fileToo` is false, in runners/<r>/config.toml. */
function edited(example: string, runner: string, edit: (toml: string) => string, where: { userData?: boolean; file?: boolean } = {}): InputFile[] {
  const enc = (s: string) => new TextEncoder().encode(s);
  return exampleFiles(example).map((f) => {
    if (f.path === `runners/${runner}/config.toml`) return { path: f.path, bytes: enc(where.file === false ? f.content : edit(f.content)) };
    if (f.path === `ec2/${runner}/user-data.sh`) return { path: f.path, bytes: enc(where.userData === false ? f.content : edit(f.content)) };
    if (f.path !== 'terraform/aws/main.tf.json' || where.userData === false) return { path: f.path, bytes: enc(f.content) };
    const root = JSON.parse(f.content) as Root;
    const lt = root.resource.aws_launch_template![`${runner}_manager`]!;
    lt.user_data = Buffer.from(edit(Buffer.from(String(lt.user_data), 'base64').toString('utf8')), 'utf8').toString('base64');
    return { path: f.path, bytes: enc(JSON.stringify(root, null, 2)) };
  });
}

/** Adds lines to `[runners.docker]` (after `privileged = false`, which every generated Docker section writes). */
const addToDocker = (lines: string) => (toml: string) => {
  if (!toml.includes('privileged = false\n')) throw new Error('test: no [runners.docker] privileged line');
  return toml.replace('privileged = false\n', `privileged = false\n${lines}\n`);
};
const replaceVolumes = (value: string) => (toml: string) => {
  // With an S3 cache runner-fleet writes disable_cache = true instead of the /cache volume.
  const line = toml.includes('volumes = [ "/cache" ]') ? 'volumes = [ "/cache" ]' : 'disable_cache = true';
  if (!toml.includes(line)) throw new Error('test: no volumes line');
  return toml.replace(line, `volumes = ${value}`);
};

const proof = (r: DoctorResult, claim: string) => r.proofs.find((p) => p.claim === claim)?.holds;

describe('ec2-docker: settings that let jobs reach the host refute the IMDS proof (doctor)', () => {
  it('as synth wrote it: every proof holds, exit 0', () => {
    const r = doctor(edited('ec2-docker', 'docker', (t) => t));
    expect(r.exitCode).toBe(0);
    expect(proof(r, IMDS)).toBe(true);
    expect(proof(r, CACHE)).toBe(true);
  });

  it.each([
    ['the host network', addToDocker('network_mode = "host"'), 'network_mode = "host"', /host's network namespace/],
    ['the Docker socket, read-only', replaceVolumes('[ "/cache", "/var/run/docker.sock:/var/run/docker.sock:ro" ]'), 'volumes entry "/var/run/docker.sock:/var/run/docker.sock:ro"', /Docker API of the host/],
    ['the directory holding the Docker socket', replaceVolumes('[ "/cache", "/var/run:/host-run" ]'), 'volumes entry "/var/run:/host-run"', /Docker API of the host/],
    ['cap_add SYS_ADMIN', addToDocker('cap_add = [ "CAP_SYS_ADMIN" ]'), 'cap_add entry "CAP_SYS_ADMIN"', /adds SYS_ADMIN/],
    ['cap_add ALL', addToDocker('cap_add = [ "NET_BIND_SERVICE", "all" ]'), 'cap_add entry "all"', /every capability/],
    ['cap_add PERFMON', addToDocker('cap_add = [ "CAP_PERFMON" ]'), 'cap_add entry "CAP_PERFMON"', /adds PERFMON: system-wide perf events: samples the registers and stack memory of every process on the host/],
    ['the host PID namespace (pid_mode, gitlab-runner 19.1+)', addToDocker('pid_mode = "host"'), 'pid_mode = "host"', /host's PID namespace .*as unsafe as privileged mode/],
    ['a host device for the services of some images', addToDocker('services_devices = { "docker:*" = [ "/dev/kvm" ] }'), 'services_devices entry "/dev/kvm"', /services a job names from images matching "docker:\*" the host device \/dev\/kvm/],
    ['the host IPC namespace (ipcmode)', addToDocker('ipcmode = "host"'), 'ipcmode = "host"', /host's IPC namespace/],
    ['no user-namespace remapping', addToDocker('userns_mode = "host"'), 'userns_mode = "host"', /root in a job container is root on the host/],
    ['seccomp unconfined', addToDocker('security_opt = [ "seccomp=unconfined" ]'), 'security_opt entry "seccomp=unconfined"', /seccomp filter/],
    ['seccomp unconfined, colon form', addToDocker('security_opt = [ "no-new-privileges", "seccomp:unconfined" ]'), 'security_opt entry "seccomp:unconfined"', /seccomp filter/],
    ['apparmor unconfined for services', addToDocker('services_security_opt = [ "apparmor=unconfined" ]'), 'services_security_opt entry "apparmor=unconfined"', /AppArmor/],
    ['a host device', addToDocker('devices = [ "/dev/nvme0n1" ]'), 'devices entry "/dev/nvme0n1"', /host device \/dev\/nvme0n1/],
    ['privileged services', addToDocker('services_privileged = true'), 'services_privileged = true', /services a job names/],
    // Before: not classified (volumes_from) or taken for harmless (pid_mode of another container).
    ['the volumes of another container', addToDocker('volumes_from = [ "gitlab-runner" ]'), 'volumes_from entry "gitlab-runner"', /mounts every volume of container "gitlab-runner" read-write .*bind mounts of host paths.*outlive the job.*config\.toml with every runner token/],
    ['the volumes of another container, read-only', addToDocker('volumes_from = [ "tools:ro" ]'), 'volumes_from entry "tools:ro"', /mounts every volume of container "tools" read-only/],
    ['the PID namespace of another container', addToDocker('pid_mode = "container:gitlab-runner"'), 'pid_mode = "container:gitlab-runner"', /joins the PID namespace of container "gitlab-runner" .*\/proc\/<pid>\/environ and \/proc\/<pid>\/root.*Docker socket mounted there is the host/],
  ])('%s: RF309 at its line in the user data, the IMDS and cache proofs fail, exit 1', (_name, edit, shown, lets) => {
    const files = edited('ec2-docker', 'docker', edit);
    const r = doctor(files);
    expect(r.exitCode).toBe(1);
    expect(proof(r, IMDS)).toBe(false);
    expect(proof(r, CACHE)).toBe(false);
    const rf309 = r.findings.filter((f) => f.code === 'RF309');
    expect(rf309).toHaveLength(1);
    const f = rf309[0]!;
    expect(f.severity).toBe('error');
    expect(f.message).toContain(`config.toml [runners.docker] ${shown}`);
    expect(f.message).toMatch(lets);
    expect(f.message).toContain("the instance role, which is the manager's");
    // At the launch template's user data in the Terraform file, with the line inside the user data.
    const at = /^terraform\/aws\/main\.tf\.json:(\d+):\d+$/.exec(f.path);
    expect(at, f.path).not.toBeNull();
    const tf = new TextDecoder().decode(files.find((x) => x.path === 'terraform/aws/main.tf.json')!.bytes).split('\n');
    expect(tf[Number(at![1]) - 1]).toContain('"user_data"');
    const line = /line (\d+) of the user data of aws_launch_template\.docker_manager/.exec(f.message);
    expect(line, f.message).not.toBeNull();
    const root = JSON.parse(tf.join('\n')) as Root;
    const script = Buffer.from(String(root.resource.aws_launch_template!.docker_manager!.user_data), 'base64').toString('utf8').split('\n');
    expect(script[Number(line![1]) - 1]).toContain(f.message.includes(' entry ') ? (/entry "([^"]+)"/.exec(f.message)![1]!) : shown.split(' = ')[0]!);
  });

  it('privileged = true: RF301, and the IMDS and cache proofs fail', () => {
    const r = doctor(edited('ec2-docker', 'docker', (t) => t.replace('privileged = false', 'privileged = true')));
    expect(r.exitCode).toBe(1);
    expect(r.findings.map((f) => f.code)).toContain('RF301');
    // On the manager's own instance a privileged job takes the instance role: the manager's credentials.
    expect(r.findings.find((f) => f.code === 'RF301')?.message).toContain("job containers run privileged: a job can take over the manager's instance, and with it the instance role, which is the manager's (cache signing, token parameter)");
    expect(r.findings.map((f) => f.code)).not.toContain('RF309');
    expect(proof(r, IMDS)).toBe(false);
    expect(proof(r, CACHE)).toBe(false);
  });

  it.each([
    ['cap_drop', addToDocker('cap_drop = [ "ALL" ]')],
    ['the bridge network', addToDocker('network_mode = "bridge"')],
    ['a network of its own', addToDocker('network_mode = "ci-jobs"')],
    ['harmless security options', addToDocker('security_opt = [ "no-new-privileges:true", "seccomp=/etc/docker/seccomp.json" ]')],
    ['a capability that opens no way out', addToDocker('cap_add = [ "NET_BIND_SERVICE" ]')],
    // NET_ADMIN configures the job's own network namespace; the hop limit is spent in the host's.
    ['NET_ADMIN (its own network namespace only)', addToDocker('cap_add = [ "NET_ADMIN" ]')],
    ['BPF without PERFMON (no tracing programs, no kernel reads)', addToDocker('cap_add = [ "CAP_BPF" ]')],
    ['SYS_PTRACE without the host PID namespace (its own processes only)', addToDocker('cap_add = [ "SYS_PTRACE" ]')],
    ['SYS_TIME and SYS_BOOT (disturb, reach nothing)', addToDocker('cap_add = [ "SYS_TIME", "SYS_BOOT" ]')],
    ['a host directory of its own', replaceVolumes('[ "/cache", "/srv/build-cache:/build-cache" ]')],
    ['allowed_privileged_images alone (it only narrows privileged)', addToDocker('allowed_privileged_images = [ "docker:*-dind" ]')],
  ])('%s: no RF309, the proofs hold, exit 0', (_name, edit) => {
    const r = doctor(edited('ec2-docker', 'docker', edit));
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(proof(r, IMDS)).toBe(true);
    expect(proof(r, CACHE)).toBe(true);
  });
});

describe('ec2-docker: the two copies of config.toml (doctor)', () => {
  it('host network only in runners/<r>/config.toml: the user data boots, so the IMDS proof holds, but the copies differ (RF106, chain fails)', () => {
    const r = doctor(edited('ec2-docker', 'docker', addToDocker('network_mode = "host"'), { userData: false }));
    expect(r.findings.map((f) => f.code)).not.toContain('RF309');
    expect(proof(r, IMDS)).toBe(true);
    const rf106 = r.findings.find((f) => f.code === 'RF106');
    expect(rf106?.message).toContain('runners/docker/config.toml differs from the config.toml the manager user data writes (first at runners[0].docker.network_mode)');
    expect(r.proofs.find((p) => p.claim.startsWith('every reference resolves'))?.holds).toBe(false);
    expect(r.exitCode).toBe(1);
  });

  it('host network only in the user data: RF309 from the user data, and the copies differ (RF106)', () => {
    const r = doctor(edited('ec2-docker', 'docker', addToDocker('network_mode = "host"'), { file: false }));
    expect(r.findings.find((f) => f.code === 'RF309')?.message).toContain('of the user data of aws_launch_template.docker_manager');
    expect(r.findings.map((f) => f.code)).toContain('RF106');
    expect(proof(r, IMDS)).toBe(false);
  });
});

describe('ec2-docker: a config.toml given only as a file (the user data writes none)', () => {
  it('RF309 points at the key in the file', () => {
    // The heredoc writes another file, so the doctor takes runners/docker/config.toml for the manager's.
    const away = (t: string) => t.replace(/cat > '?\/etc\/gitlab-runner\/config\.toml'?/, "cat > '/etc/gitlab-runner/elsewhere.toml'");
    const files = edited('ec2-docker', 'docker', (t) => (t.includes('#!') ? away(t) : addToDocker('cap_add = [ "SYS_ADMIN" ]')(t)));
    const r = doctor(files);
    const f = r.findings.find((x) => x.code === 'RF309');
    expect(f, JSON.stringify(r.findings.map((x) => `${x.code} ${x.path} ${x.message}`))).toBeDefined();
    const at = /^runners\/docker\/config\.toml:(\d+):\d+$/.exec(f!.path);
    expect(at, f!.path).not.toBeNull();
    const text = new TextDecoder().decode(files.find((x) => x.path === 'runners/docker/config.toml')!.bytes).split('\n');
    expect(text[Number(at![1]) - 1]).toContain('cap_add');
    expect(proof(r, IMDS)).toBe(false);
  });
});

describe('ec2-autoscaler: escapes take over the worker (doctor)', () => {
  it('the Docker socket in worker jobs: RF309 naming the worker, exit 1', () => {
    const sound = doctor(edited('ec2-autoscaler', 'autoscale', (t) => t));
    expect(sound.exitCode).toBe(0);
    const r = doctor(edited('ec2-autoscaler', 'autoscale', replaceVolumes('[ "/cache", "/var/run/docker.sock:/var/run/docker.sock" ]')));
    const f = r.findings.find((x) => x.code === 'RF309');
    expect(f?.message).toContain('takes over the worker instance');
    expect(f?.path).toMatch(/^terraform\/aws\/main\.tf\.json:\d+:\d+$/);
    expect(r.exitCode).toBe(1);
  });
});

describe('plan: the spec asks for privileged jobs', () => {
  const spec = (example: string, accept: boolean) =>
    readFileSync(`examples/${example}.yaml`, 'utf8').replace('    cache: { name: shared }\n', `    cache: { name: shared }\n${accept ? '    acceptRisks: [{ code: RF301, reason: docker-in-docker builds until BuildKit lands }]\n' : ''}`);
  it('ec2-docker, risk accepted: RF301 warning explains it, and the IMDS and cache proofs fail', () => {
    const text = spec('ec2-docker', true).replace('      image: ubuntu:24.04\n', '      image: ubuntu:24.04\n      privileged: true\n');
    const plan = planText(text);
    expect(plan.exitCode).toBe(0);
    expect(plan.findings.find((f) => f.code === 'RF301')?.severity).toBe('warning');
    expect(plan.findings.find((f) => f.code === 'RF301')?.message).toBe(
      "job containers run privileged: a job can take over the manager's instance, and with it the instance role, which is the manager's (cache signing, token parameter): IMDSv2 hop limit 1 does not stop a job that has left its container",
    );
    expect(plan.proofs.find((p) => p.claim === IMDS)?.holds).toBe(false);
    expect(plan.proofs.find((p) => p.claim === CACHE)?.holds).toBe(false);
  });
  it('ec2-docker, hop limit 2 accepted (RF713): jobs hold the instance role, so they reach the cache too', () => {
    const text = spec('ec2-docker', false).replace('    jobs:\n      image: ubuntu:24.04', '    instance: { jobsReachInstanceCredentials: true }\n    acceptRisks: [{ code: RF713, reason: single-tenant build box for one trusted project }]\n    jobs:\n      image: ubuntu:24.04');
    const plan = planText(text);
    expect(plan.exitCode).toBe(0);
    expect(plan.proofs.find((p) => p.claim === IMDS)?.holds).toBe(false);
    expect(plan.proofs.find((p) => p.claim === CACHE)?.holds).toBe(false);
  });
  it('ec2-autoscaler (docker-autoscaler reads [runners.docker] too): RF301 is raised', () => {
    const text = spec('ec2-autoscaler', false).replace('    cache: { name: shared }\n', '    cache: { name: shared }\n    jobs: { privileged: true }\n');
    const plan = planText(text);
    expect(plan.findings.map((f) => `${f.code} ${f.path}`)).toContain('RF301 runners[0].jobs.privileged');
    // Not "the node": the worker, with the jobs beside and after it (workers carry no instance profile).
    expect(plan.findings.find((f) => f.code === 'RF301')?.message).toBe('job containers run privileged: a job can take over the worker instance: the jobs it runs at the same time (capacity_per_instance) and the ones after it (max_use_count)');
    expect(plan.exitCode).toBe(1);
  });
});

describe('RF301 says what a privileged job takes over, in the words of its platform', () => {
  /** The RF301 message of an example whose runner (the first after `- name: <runner>`) asks for privileged jobs, risk accepted. */
  const privileged = (example: string, runner: string) => {
    const head = `\n  - name: ${runner}\n`;
    let text = readFileSync(`examples/${example}.yaml`, 'utf8');
    const at = text.indexOf(head);
    if (at < 0) throw new Error(`test: no runner ${runner} in ${example}`);
    const rest = text.slice(at + head.length);
    const jobs = /^ {4}jobs:\n/m.exec(rest);
    const accept = '    acceptRisks: [{ code: RF301, reason: docker-in-docker builds until BuildKit lands }]\n';
    text = jobs && !/\n {2}- name: /.test(rest.slice(0, jobs.index))
      ? `${text.slice(0, at + head.length)}${accept}${rest.slice(0, jobs.index + jobs[0].length)}      privileged: true\n${rest.slice(jobs.index + jobs[0].length)}`
      : `${text.slice(0, at + head.length)}${accept}    jobs: { privileged: true }\n${rest}`;
    return planText(text).findings.find((f) => f.code === 'RF301')?.message;
  };
  it('eks: the node and every credential on it; ec2-docker: the instance role, the manager\'s; ec2-autoscaler: the worker', () => {
    expect(privileged('eks-irsa', 'build')).toMatch(/^job containers run privileged: a job can take over the node and every credential on it\. The namespace therefore cannot enforce Pod Security baseline/);
    expect(privileged('ec2-docker', 'docker')).toMatch(/^job containers run privileged: a job can take over the manager's instance, and with it the instance role, which is the manager's/);
    expect(privileged('ec2-autoscaler', 'autoscale')).toMatch(/^job containers run privileged: a job can take over the worker instance: the jobs it runs at the same time/);
  });
});

describe('dockerHostEscapes', () => {
  const docker = (d: Record<string, unknown>, more: Record<string, unknown>[] = []) => ({ runners: [{ executor: 'docker', docker: d }, ...more] });
  it.each([
    [{ network_mode: 'HOST' }, ['network_mode']],
    [{ volumes: ['/run/docker.sock:/var/run/docker.sock'] }, ['volumes']],
    [{ volumes: ['/:/host'] }, ['volumes']],
    [{ volumes: ['/etc/gitlab-runner:/cfg:ro'] }, ['volumes']],
    [{ volumes: ['/var/run/../run/docker.sock:/s'] }, ['volumes']],
    [{ volumes: ['cache-vol:/cache', '/cache', '/home/ci:/ci'] }, []],
    [{ cap_add: ['sys_module', 'CHOWN'] }, ['cap_add']],
    [{ cap_drop: ['ALL'], network_mode: 'none' }, []],
    [{ security_opt: ['label=disable', 'systempaths=unconfined'] }, ['security_opt', 'security_opt']],
    [{ device_cgroup_rules: ['b 8:* rmw'] }, ['device_cgroup_rules']],
    [{ privileged: false, services_privileged: false, allowed_privileged_services: ['docker:dind'] }, []],
    [{ ipc_mode: 'host', pidmode: 'host' }, []],
    [{ pid_mode: 'host', cap_add: ['SYS_PTRACE', 'NET_ADMIN'] }, ['pid_mode', 'cap_add']],
    [{ cap_add: ['SYS_PTRACE', 'NET_ADMIN', 'BPF', 'SYS_TIME', 'NET_RAW'] }, []],
    [{ cap_add: ['BPF', 'PERFMON'] }, ['cap_add']],
    [{ services_devices: { 'docker:*': ['/dev/kvm', '/dev/fuse'], 'alpine': '/dev/sda' } }, ['services_devices', 'services_devices', 'services_devices']],
  ])('%j → %j', (d, keys) => {
    expect(dockerHostEscapes(docker(d)).map((e) => e.key)).toEqual(keys);
  });
  it('SYS_PTRACE beside the host PID namespace says why (it traces the host\'s root processes)', () => {
    const ptrace = dockerHostEscapes(docker({ pid_mode: 'host', cap_add: ['CAP_SYS_PTRACE'] })).find((e) => e.key === 'cap_add');
    expect(ptrace?.lets).toMatch(/^adds SYS_PTRACE: with pid_mode = "host", traces the host's processes/);
    expect(ptrace?.at).toEqual(['runners', 0, 'docker', 'cap_add', 0]);
  });
  it('a services_devices entry is found by its image glob and index', () => {
    expect(dockerHostEscapes(docker({ services_devices: { 'docker:*': ['/dev/kvm'] } })).map((e) => e.at)).toEqual([['runners', 0, 'docker', 'services_devices', 'docker:*', 0]]);
  });
  it('every key the classification reads is one gitlab-runner knows (the emitter\'s known-keys list has them)', () => {
    const known = KNOWN_TOML_KEYS['runners.docker'];
    expect(known).not.toBe('*');
    expect(ESCAPE_KEYS.filter((k) => !(known as ReadonlySet<string>).has(k))).toEqual([]);
    expect(ESCAPE_KEYS).toEqual(expect.arrayContaining(['ipcmode', 'pid_mode', 'volumes_from', 'services_security_opt', 'device_cgroup_rules', 'services_devices']));
    const toml = { runners: [{ executor: 'docker', docker: { ipcmode: 'private', pid_mode: 'container:x', services_security_opt: ['no-new-privileges'], device_cgroup_rules: ['c 10:200 rwm'], services_devices: { 'docker:*': ['/dev/fuse'] }, services: [{ name: 'postgres:16', alias: 'db' }] } }] };
    expect(unknownTomlKeys(toml)).toEqual([]);
    expect(unknownTomlKeys({ runners: [{ docker: { ipc_mode: 'host', pidmode: 'host' } }] })).toEqual(['runners.docker.ipc_mode', 'runners.docker.pidmode']);
  });
  it('every [[runners]] entry is read, and the entry is named', () => {
    const e = dockerHostEscapes(docker({}, [{ executor: 'docker', docker: { network_mode: 'host' } }]));
    expect(e.map((x) => x.at)).toEqual([['runners', 1, 'docker', 'network_mode']]);
  });
  it('documents that are not config.toml shapes give nothing', () => {
    for (const v of [undefined, null, 3, 'x', { runners: 'x' }, { runners: [null, 3, { docker: [] }] }]) expect(dockerHostEscapes(v)).toEqual([]);
  });
});
