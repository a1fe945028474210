import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { dockerHostEscapes, escapeFindings } from '../src/verify/docker-escape.js';
import { corpusFiles } from './helpers/doctor.js';

/**
 * Issue 49b: a read-write mount of one host settings file under /etc (/etc/hosts, /etc/resolv.conf,
 * /etc/localtime, /etc/timezone) changes what the host does but does not make a job root on it:
 * RF309 of lower severity, said per file, with a fix in the user's own document. The rest of /etc
 * (the folder, sudoers, passwd, shadow, cron.d, systemd) keeps "becomes root on the host".
 */
const CORPUS = join(import.meta.dirname, 'doctor', 'corpus');
const enc = (s: string) => new TextEncoder().encode(s);
const files = (m: Record<string, string>): InputFile[] => Object.entries(m).map(([path, text]) => ({ path, bytes: enc(text) }));
const escapes = (volume: string) => escapeFindings(dockerHostEscapes({ runners: [{ executor: 'docker', docker: { volumes: [volume] } }] }), 'runners[0]', 'from the host a job obtains the instance role');
const toml = (volume: string) => `concurrent = 1\n\n[[runners]]\n  name = "docker"\n  url = "https://gitlab.example.com"\n  executor = "docker"\n  [runners.docker]\n    image = "alpine:3.20"\n    volumes = ["/cache", ${JSON.stringify(volume)}]\n`;
const register = (volume: string) => `#!/bin/bash\ngitlab-runner register --non-interactive --url https://gitlab.example.com --token "$RUNNER_TOKEN" \\\n  --executor docker --docker-image alpine:3.20 \\\n  --docker-volumes ${volume}\n`;

describe('RF309: a host settings file mounted read-write says what it changes, not root', () => {
  it.each([
    ['/etc/hosts:/etc/hosts', 'warning', "writes the addresses the host's names resolve to", 'mount it read-only (/etc/hosts:/etc/hosts:ro), or leave it out: a name jobs need goes in [runners.docker] extra_hosts'],
    ['/etc/hosts:/etc/hosts:rw', 'warning', "writes the addresses the host's names resolve to", 'mount it read-only (/etc/hosts:/etc/hosts:ro)'],
    ['/etc/resolv.conf:/etc/resolv.conf', 'warning', 'names the DNS servers the host asks', 'other DNS servers for jobs go in [runners.docker] dns'],
    ['/etc/localtime:/etc/localtime', 'info', "changes the host's local time zone", 'mount it read-only (/etc/localtime:/etc/localtime:ro)'],
    ['/etc/timezone:/etc/timezone:z', 'info', "changes the host's local time zone", 'mount it read-only (/etc/timezone:/etc/timezone:ro,z)'],
  ])('%s: %s, no "root on the host", no "from the host"', (volume, severity, says, fix) => {
    const [f, ...rest] = escapes(volume);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ code: 'RF309', severity, fix: expect.stringContaining(fix) });
    expect(f!.message).toContain(says);
    expect(f!.message).toContain('not a way out of the container');
    expect(f!.message).not.toMatch(/becomes root|root on the host|from the host a job/);
  });
  it.each(['/etc:/host-etc', '/etc/sudoers:/etc/sudoers', '/etc/passwd:/etc/passwd', '/etc/shadow:/etc/shadow', '/etc/cron.d:/etc/cron.d', '/etc/systemd:/etc/systemd', '/etc/hosts.d:/x', '/etc/hosts/../sudoers:/x'])('%s read-write still makes a job root on the host (error)', (volume) => {
    const [f] = escapes(volume);
    expect(f).toMatchObject({ code: 'RF309', severity: 'error' });
    expect(f!.message).toContain('and with it becomes root on the host; from the host a job obtains the instance role');
  });
  it.each(['/etc/hosts:/etc/hosts:ro', '/etc/resolv.conf:/etc/resolv.conf:ro', '/etc/timezone:/etc/timezone:ro'])('%s read-only: no finding', (volume) => {
    expect(escapes(volume)).toEqual([]);
  });
});

describe('the doctor on a config.toml and a register command', () => {
  it('config.toml: a warning at the volumes line, with the config.toml key in the fix', () => {
    const r = doctor(files({ 'config.toml': toml('/etc/hosts:/etc/hosts') }));
    const rf309 = r.findings.filter((f) => f.code === 'RF309');
    expect(rf309).toEqual([expect.objectContaining({ severity: 'warning', path: 'config.toml:9:26', fix: expect.stringContaining('[runners.docker] extra_hosts') })]);
    expect(rf309[0]!.message).not.toContain('root on the host');
  });
  it('register --docker-volumes /etc/hosts:/etc/hosts: a warning, the fix names --docker-extra-hosts', () => {
    const rf309 = doctor(files({ 'register.sh': register('/etc/hosts:/etc/hosts') })).findings.filter((f) => f.code === 'RF309');
    expect(rf309).toHaveLength(1);
    expect(rf309[0]).toMatchObject({ severity: 'warning', fix: 'mount it read-only (/etc/hosts:/etc/hosts:ro), or leave it out: a name jobs need goes in --docker-extra-hosts' });
    expect(rf309[0]!.message).toMatch(/^gitlab-runner register --docker-volumes \/etc\/hosts:\/etc\/hosts bind-mounts the host's \/etc\/hosts read-write: /);
    expect(rf309[0]!.message).not.toMatch(/root on the host|from the host a job takes/);
  });
  it('register --docker-volumes /etc/resolv.conf: the fix names --docker-dns; /etc:/etc is still root (error)', () => {
    expect(doctor(files({ 'register.sh': register('/etc/resolv.conf:/etc/resolv.conf') })).findings.find((f) => f.code === 'RF309')).toMatchObject({ severity: 'warning', fix: expect.stringContaining('--docker-dns') });
    const etc = doctor(files({ 'register.sh': register('/etc:/etc') })).findings.find((f) => f.code === 'RF309');
    expect(etc).toMatchObject({ severity: 'error', message: expect.stringContaining('becomes root on the host') });
  });
  it('on an EC2 Docker host /etc/hosts read-write keeps jobs in their containers: the metadata service stays out of reach', () => {
    const withVolumes = (volumes: string) => doctor(corpusFiles(join(CORPUS, 'ec2-docker-templatefile-directives')).map((f) => (f.path === 'main.tf' ? { ...f, bytes: enc(new TextDecoder().decode(f.bytes).replace('volumes    = ["/cache"]', `volumes    = ${volumes}`)) } : f)));
    const imds = (r: ReturnType<typeof doctor>) => r.proofs.find((p) => p.claim.startsWith('job containers cannot reach the instance credentials'))?.holds;
    const hosts = withVolumes('["/cache", "/etc/hosts:/etc/hosts"]');
    expect(hosts.findings.filter((f) => f.code === 'RF309').map((f) => f.severity)).toEqual(['warning']);
    expect(imds(hosts)).toBe(true);
    expect(imds(withVolumes('["/cache", "/etc/sudoers:/etc/sudoers"]'))).toBe(false);
  });
});
