import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { kubernetesRunnerToml } from './helpers/doctor.js';

/**
 * Stop 58c: `hostPID: true` in a job pod's pod_spec patch together with SYS_PTRACE (or ALL) in a job
 * container (`cap_add`, a container security context, or a container of a patch) is one escape: the
 * job ptraces every process of the node. Said at the hostPID patch, naming both halves, with the fix
 * "drop one". Each half alone stays as it was (hostPID its own RF309; SYS_PTRACE none).
 */

const enc = (s: string) => new TextEncoder().encode(s);
const alone = (toml: string): DoctorResult => doctor([{ path: 'config.toml', bytes: enc(toml) }]);
const rf309 = (r: DoctorResult) => r.findings.filter((f) => f.code === 'RF309');
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

const runner = kubernetesRunnerToml;
const patch = (body: string, name = 'p') => `    [[runners.kubernetes.pod_spec]]\n      name = "${name}"\n      patch_type = "strategic"\n      patch = '''\n${body}\n      '''\n`;
const HOST_PID = patch('        hostPID: true');

describe('hostPID with SYS_PTRACE', () => {
  it('cap_add SYS_PTRACE and a patch setting hostPID: one RF309 at the patch naming both halves, fix drop one', () => {
    const toml = runner(`    cap_add = ["SYS_PTRACE"]\n${HOST_PID}`);
    const found = rf309(alone(toml));
    expect(found).toHaveLength(1);
    expect(found[0]!.path).toBe(`config.toml:${lineOf(toml, "patch = '''")}:7`);
    expect(found[0]!.message).toContain('sets hostPID: true, and [runners.kubernetes] cap_add "SYS_PTRACE" adds SYS_PTRACE');
    expect(found[0]!.message).toContain('attaches with ptrace to every process on the node');
    expect(found[0]!.message).toContain('the runner manager (its runner token)');
    expect(found[0]!.fix).toMatch(/^drop one of the two: remove hostPID: true from the patch, or SYS_PTRACE \(ALL\) from \[runners\.kubernetes\] cap_add "SYS_PTRACE"/);
  });

  it("the build container's security context (cap_sys_ptrace, prefix and case as written) is a half too", () => {
    const toml = runner(`${HOST_PID}    [runners.kubernetes.build_container_security_context.capabilities]\n      add = ["cap_sys_ptrace"]\n`);
    const found = rf309(alone(toml));
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain('[runners.kubernetes.build_container_security_context.capabilities] add "SYS_PTRACE" adds SYS_PTRACE');
  });

  it("both halves in one patch: the container's capability is named", () => {
    const toml = runner(patch('        hostPID: true\n        containers:\n          - name: build\n            securityContext:\n              capabilities:\n                add: ["SYS_PTRACE"]'));
    const found = rf309(alone(toml));
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain('capability "SYS_PTRACE" on container "build" adds SYS_PTRACE');
  });

  it('hostPID in one patch and SYS_PTRACE in another: the combination at the hostPID patch', () => {
    const toml = runner(`${HOST_PID}${patch('        containers:\n          - name: build\n            securityContext:\n              capabilities:\n                add: ["SYS_PTRACE"]', 'q')}`);
    const found = rf309(alone(toml));
    expect(found).toHaveLength(1);
    expect(found[0]!.path).toBe(`config.toml:${lineOf(toml, "patch = '''")}:7`);
    expect(found[0]!.message).toContain('[[runners.kubernetes.pod_spec]] "q" (entry 1) patch capability "SYS_PTRACE"');
  });

  it('ALL with hostPID: ALL stays its own RF309 and the hostPID patch says the combination', () => {
    const found = rf309(alone(runner(`    cap_add = ["ALL"]\n${HOST_PID}`)));
    expect(found).toHaveLength(2);
    expect(found.filter((f) => f.message.includes('sets hostPID: true, and [runners.kubernetes] cap_add "ALL" adds SYS_PTRACE'))).toHaveLength(1);
  });

  it('guards: hostPID alone keeps its own words; SYS_PTRACE alone, or dropped again in cap_drop, is no half', () => {
    const plain = rf309(alone(runner(HOST_PID)));
    expect(plain).toHaveLength(1);
    expect(plain[0]!.message).not.toContain('SYS_PTRACE');
    expect(plain[0]!.fix).toMatch(/^remove hostPID: true from the patch/);
    expect(rf309(alone(runner('    cap_add = ["SYS_PTRACE"]\n')))).toEqual([]);
    const dropped = rf309(alone(runner(`    cap_add = ["SYS_PTRACE"]\n    cap_drop = ["SYS_PTRACE"]\n${HOST_PID}`)));
    expect(dropped).toHaveLength(1);
    expect(dropped[0]!.message).not.toContain('SYS_PTRACE');
  });

  it('guard: with the feature flag set false no patch applies, so neither half is said', () => {
    const toml = runner(`    cap_add = ["SYS_PTRACE"]\n${HOST_PID}`).replace('  [runners.kubernetes]\n', '  [runners.feature_flags]\n    FF_USE_ADVANCED_POD_SPEC_CONFIGURATION = false\n  [runners.kubernetes]\n');
    expect(rf309(alone(toml))).toEqual([]);
  });
});

describe('the Docker executor (said as a combination already, kept)', () => {
  it('pid_mode = "host" with cap_add SYS_PTRACE is RF309 at the capability naming pid_mode', () => {
    const toml = `[[runners]]\n  name = "d"\n  url = "https://gitlab.example.com"\n  executor = "docker"\n  [runners.docker]\n    image = "alpine"\n    pid_mode = "host"\n    cap_add = ["SYS_PTRACE"]\n`;
    const found = rf309(alone(toml)).filter((f) => f.received === 'SYS_PTRACE' || f.message.includes('SYS_PTRACE'));
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain('with pid_mode = "host"');
  });
});
