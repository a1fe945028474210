import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { hostMountEscape, HOST_WORDS, volumeReach } from '../src/verify/docker-escape.js';
import { hostPathReach, NODE_WORDS } from '../src/verify/kubernetes-host-path.js';

/**
 * Stop 56b: `[runners.kubernetes]` settings beyond host_path that hand a job more than its pod's
 * containers: `cap_add` (and the container security contexts' `capabilities.add` / `privileged`),
 * and `[[runners.kubernetes.pod_spec]]` patches setting host namespaces, hostPath volumes, privileged
 * containers or capabilities. RF309 (RF301 for privileged) at the key, in a config.toml alone, a later
 * `[[runners]]` entry and a chart's runners.config. `allow_privilege_escalation = true` is the
 * Kubernetes default and stays in the container: no finding.
 */

const enc = (s: string) => new TextEncoder().encode(s);
const alone = (toml: string): DoctorResult => doctor([{ path: 'config.toml', bytes: enc(toml) }]);
const of = (r: DoctorResult, ...codes: string[]) => r.findings.filter((f) => codes.includes(f.code));
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

const runner = (k8s: string, head = '') => `concurrent = 2

[[runners]]
  name = "k"
  url = "https://gitlab.example.com"
  executor = "kubernetes"
${head}  [runners.kubernetes]
    namespace = "ci"
${k8s}`;
const patch = (body: string, type = 'strategic', name = 'p') => `    [[runners.kubernetes.pod_spec]]\n      name = "${name}"\n      patch_type = "${type}"\n      patch = '''\n${body}\n      '''\n`;

describe('cap_add', () => {
  it('SYS_ADMIN is RF309 (error) at its list entry, saying the job becomes root on the node', () => {
    const toml = runner('    cap_add = ["NET_BIND_SERVICE", "SYS_ADMIN"]\n');
    const found = of(alone(toml), 'RF309');
    expect(found).toHaveLength(1);
    expect(found[0]!.severity).toBe('error');
    const line = toml.split('\n')[lineOf(toml, 'cap_add') - 1]!;
    expect(found[0]!.path).toBe(`config.toml:${lineOf(toml, 'cap_add')}:${line.indexOf('"SYS_ADMIN"') + 1}`);
    expect(found[0]!.message).toContain('[runners.kubernetes] cap_add "SYS_ADMIN" adds SYS_ADMIN');
    expect(found[0]!.message).toContain('root on the node');
    expect(found[0]!.received).toBe('SYS_ADMIN');
  });

  it('ALL and CAP_SYS_MODULE (prefix and case as written) are each RF309', () => {
    const found = of(alone(runner('    cap_add = ["ALL", "cap_sys_module"]\n')), 'RF309');
    expect(found.map((f) => f.received)).toEqual(['ALL', 'cap_sys_module']);
  });

  it('no finding (guards): NET_ADMIN (the pod\'s own network namespace), and SYS_ADMIN also in cap_drop (cap_drop wins)', () => {
    expect(of(alone(runner('    cap_add = ["NET_ADMIN", "SYS_TIME"]\n')), 'RF309')).toEqual([]);
    expect(of(alone(runner('    cap_add = ["SYS_ADMIN"]\n    cap_drop = ["SYS_ADMIN"]\n')), 'RF309')).toEqual([]);
  });

  it("the build container's security context: capabilities.add SYS_ADMIN is RF309 and privileged = true is RF301", () => {
    const toml = runner('    [runners.kubernetes.build_container_security_context]\n      privileged = true\n      [runners.kubernetes.build_container_security_context.capabilities]\n        add = ["SYS_ADMIN"]\n');
    const r = alone(toml);
    expect(of(r, 'RF309').map((f) => f.path)).toEqual([`config.toml:${lineOf(toml, 'add = ["SYS_ADMIN"]')}:16`]);
    const rf301 = of(r, 'RF301');
    expect(rf301.map((f) => f.path)).toEqual([`config.toml:${lineOf(toml, 'privileged = true')}:7`]);
    expect(rf301[0]!.message).toContain("every job's build container privileged");
  });

  it('a second [[runners]] entry is checked too, named as entry 1', () => {
    const toml = `${runner('')}
[[runners]]
  name = "two"
  url = "https://gitlab.example.com"
  executor = "kubernetes"
  [runners.kubernetes]
    cap_add = ["SYS_ADMIN"]
`;
    const found = of(alone(toml), 'RF309');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain('of [[runners]] entry 1');
  });

  it('an executor that does not read [runners.kubernetes] adds nothing: no finding', () => {
    expect(of(alone(runner('    cap_add = ["SYS_ADMIN"]\n').replace('executor = "kubernetes"', 'executor = "shell"')), 'RF309')).toEqual([]);
  });
});

describe('allow_privilege_escalation', () => {
  it('= true is no finding: the Kubernetes default, and it stays inside the container (guard)', () => {
    const r = alone(runner('    allow_privilege_escalation = true\n'));
    expect(of(r, 'RF309', 'RF301')).toEqual([]);
  });
});

describe('pod_spec patches', () => {
  it('hostNetwork and hostPID in a strategic patch are RF309 each at the patch key, saying a job turns the flag on itself', () => {
    const toml = runner(patch('        hostNetwork: true\n        hostPID: true'));
    const found = of(alone(toml), 'RF309');
    expect(found.map((f) => f.message.match(/sets (\w+): true/)?.[1])).toEqual(['hostNetwork', 'hostPID']);
    expect(found.every((f) => f.path === `config.toml:${lineOf(toml, "patch = '''")}:7`)).toBe(true);
    expect(found[0]!.message).toContain("the node's network namespace");
    expect(found[0]!.message).toContain('any job turns it on with a variable');
    expect(found[0]!.fix).toContain('FF_USE_ADVANCED_POD_SPEC_CONFIGURATION = false');
  });

  it('a hostPath volume of the container runtime socket is RF309; read-only mounts of /etc/ssl/certs are none', () => {
    const sock = patch('        volumes:\n          - name: sock\n            hostPath:\n              path: /run/containerd/containerd.sock\n        containers:\n          - name: build\n            volumeMounts:\n              - name: sock\n                mountPath: /run/containerd/containerd.sock');
    const found = of(alone(runner(sock)), 'RF309');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain("the node's container runtime socket");
    const certs = patch('        volumes:\n          - name: certs\n            hostPath:\n              path: /etc/ssl/certs\n        containers:\n          - name: build\n            volumeMounts:\n              - name: certs\n                mountPath: /etc/ssl/certs\n                readOnly: true');
    expect(of(alone(runner(certs)), 'RF309')).toEqual([]);
  });

  it('a json patch adding hostNetwork, a privileged container and a capability is read at its paths', () => {
    const ops = '        [{"op": "add", "path": "/hostNetwork", "value": true},\n         {"op": "add", "path": "/containers/0/securityContext", "value": {"privileged": true, "capabilities": {"add": ["SYS_ADMIN"]}}}]';
    const r = alone(runner(patch(ops, 'json')));
    expect(of(r, 'RF309').map((f) => f.received)).toEqual(['true', 'SYS_ADMIN']);
    expect(of(r, 'RF301')).toHaveLength(1);
  });

  it('with FF_USE_ADVANCED_POD_SPEC_CONFIGURATION on in environment, the message says it is on', () => {
    const found = of(alone(runner(patch('        hostIPC: true'), '  environment = ["FF_USE_ADVANCED_POD_SPEC_CONFIGURATION=true"]\n')), 'RF309');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain('is on in this [[runners]] entry');
  });

  it('no finding (guards): the flag set false in [runners.feature_flags] (no job applies it), and a patch of resources only', () => {
    expect(of(alone(runner(patch('        hostNetwork: true'), '  [runners.feature_flags]\n    FF_USE_ADVANCED_POD_SPEC_CONFIGURATION = false\n')), 'RF309')).toEqual([]);
    expect(of(alone(runner(patch('        containers:\n          - name: build\n            resources:\n              requests:\n                cpu: 500m'))), 'RF309', 'RF301')).toEqual([]);
  });
});

describe("the chart's runners.config: entry 0's cap_add", () => {
  const CASE = join(import.meta.dirname, 'doctor', 'corpus', 'irsa-guide-sound');
  it('SYS_ADMIN is RF309 at its line in values.yaml, naming the runner', () => {
    const values = readFileSync(join(CASE, 'values.yaml'), 'utf8').replace('        privileged = false\n', '        privileged = false\n        cap_add = ["SYS_ADMIN"]\n');
    const files = [{ path: 'values.yaml', bytes: enc(values) }, { path: 'k8s.yaml', bytes: readFileSync(join(CASE, 'k8s.yaml')) }];
    for (const f of readdirSync(join(CASE, 'iam'))) files.push({ path: `iam/${f}`, bytes: readFileSync(join(CASE, 'iam', f)) });
    const found = of(doctor(files), 'RF309');
    expect(found).toHaveLength(1);
    expect(found[0]!.path).toMatch(new RegExp(`^values\\.yaml:${lineOf(values, 'cap_add')}:`));
    expect(found[0]!.message).toMatch(/^runner \S+: config\.toml \[runners\.kubernetes\] cap_add "SYS_ADMIN"/);
  });
});

describe('a mount says what it hands a job in the words it is given (MountWords, one place)', () => {
  it('the Docker rule and the node rule are the same texts in their own words', () => {
    for (const [path, ro] of [['/etc', false], ['/etc/hosts', false], ['/proc', true], ['/dev', true], ['/var/lib/docker', true]] as const) {
      const docker = volumeReach(`${path}:/mnt${ro ? ':ro' : ''}`);
      expect(docker?.kind === 'host' ? docker.lets : undefined).toBe(`bind-mounts ${hostMountEscape(path, ro, HOST_WORDS)!.lets}`);
      const node = hostPathReach(path, ro)!;
      expect(node.lets).toBe(`mounts ${hostMountEscape(path, ro, NODE_WORDS)!.lets}`);
      expect(node.lets).not.toMatch(/\bhost's\b|\bDocker\b| on the host\b/);
    }
  });

  it('other words go through every text, none left in the Docker words', () => {
    const words = { machine: 'VM', runtime: 'Podman', into: ' into the job,' };
    const texts = ['/etc', '/etc/hosts', '/etc/resolv.conf', '/etc/ssl/certs', '/proc', '/var/run/docker.sock'].flatMap((p) => [hostMountEscape(p, false, words)?.lets, hostMountEscape(p, true, words)?.lets]).filter((t): t is string => t !== undefined);
    expect(texts.length).toBeGreaterThan(6);
    for (const t of texts) expect(t).not.toMatch(/\bhost's\b|\bDocker\b| on the host\b|\bthe host\b/);
    expect(hostMountEscape('/etc/resolv.conf', false, words)!.lets).toContain("the VM's /etc/resolv.conf into the job, read-write");
  });
});
