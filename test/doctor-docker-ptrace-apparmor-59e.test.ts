import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { dockerHostEscapes } from '../src/verify/docker-escape.js';

/**
 * Stop 59e: Docker's `pid_mode = "host"` with SYS_PTRACE says what Docker's default AppArmor profile
 * leaves the job (moby/profiles apparmor/template.go: `ptrace … peer=<docker-default>` is its only ptrace
 * rule), as 58c says it for Kubernetes' hostPID; with `security_opt = ["apparmor=unconfined"]` it says
 * no profile limits it.
 */

const docker = (d: Record<string, unknown>) => ({ runners: [{ executor: 'docker', docker: d }] });
const ptraceOf = (d: Record<string, unknown>) => dockerHostEscapes(docker(d)).find((e) => e.key === 'cap_add');

describe('SYS_PTRACE with pid_mode = "host" and AppArmor', () => {
  it('says what docker-default leaves the job: other containers\' processes, not the host\'s daemons', () => {
    const e = ptraceOf({ pid_mode: 'host', cap_add: ['SYS_PTRACE'] });
    expect(e?.lets).toContain("Docker's default profile docker-default lets a container trace only processes under that same profile");
    expect(e?.lets).toContain("not the host's own daemons");
    expect(e?.lets).toContain('a host without AppArmor, Amazon Linux or RHEL among them, has no such limit');
  });

  it('with security_opt apparmor=unconfined (either separator, any case): no profile limits it, and the caveat is not said', () => {
    for (const opt of ['apparmor=unconfined', 'apparmor:unconfined', ' AppArmor = Unconfined ']) {
      const e = ptraceOf({ pid_mode: 'host', cap_add: ['SYS_PTRACE'], security_opt: ['no-new-privileges', opt] });
      expect(e?.lets).toContain('security_opt turns the AppArmor profile off, so no profile limits whom it traces');
      expect(e?.lets).not.toContain('docker-default');
    }
  });

  it('twins: another AppArmor profile named is not "off"; SYS_PTRACE without the host PID namespace stays no finding', () => {
    expect(ptraceOf({ pid_mode: 'host', cap_add: ['SYS_PTRACE'], security_opt: ['apparmor=my-profile'] })?.lets).toContain('docker-default');
    expect(ptraceOf({ cap_add: ['SYS_PTRACE'] })).toBeUndefined();
  });

  it('through the doctor: the RF309 of a config.toml carries the caveat; a 200,000-character security_opt word is read in one pass', () => {
    const toml = (opt: string) => `concurrent = 1
[[runners]]
  name = "d"
  url = "https://gitlab.example.com"
  executor = "docker"
  [runners.docker]
    image = "alpine"
    pid_mode = "host"
    cap_add = ["SYS_PTRACE"]
    security_opt = [${JSON.stringify(opt)}]
`;
    const r = doctor([{ path: 'config.toml', bytes: new TextEncoder().encode(toml('no-new-privileges')) }]);
    expect(r.findings.filter((f) => f.code === 'RF309' && f.message.includes('adds SYS_PTRACE') && f.message.includes('docker-default'))).toHaveLength(1);
    const long = dockerHostEscapes(docker({ pid_mode: 'host', cap_add: ['SYS_PTRACE'], security_opt: [`apparmor=${' '.repeat(200_000)}x`, `${'\t'.repeat(200_000)}apparmor`] })).find((e) => e.key === 'cap_add');
    expect(long?.lets).toContain('docker-default');
  });
});
