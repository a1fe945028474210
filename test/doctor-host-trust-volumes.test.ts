import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { dockerHostEscapes, escapeFindings } from '../src/verify/docker-escape.js';

/**
 * Issue 50e: /etc/hostname and the host's TLS trust stores mounted read-write say what a job takes
 * over (the name the host boots with; the host's TLS trust, a certificate authority planted for the
 * host and the next jobs), not "becomes root on the host". The trust stores keep RF309's severity
 * (error); /etc/hostname is info. /etc/ssl and /etc/pki themselves hold private keys: still root.
 */
const escapes = (volume: string) => escapeFindings(dockerHostEscapes({ runners: [{ executor: 'docker', docker: { volumes: [volume] } }] }), 'runners[0]', 'from the host a job obtains the instance role');

describe('RF309: /etc/hostname and the TLS trust stores, read-write', () => {
  it('/etc/hostname: info, the name the host takes at its next boot', () => {
    const [f, ...rest] = escapes('/etc/hostname:/etc/hostname');
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ code: 'RF309', severity: 'info', fix: 'mount it read-only (/etc/hostname:/etc/hostname:ro), or leave it out: Docker gives each job container a host name of its own' });
    expect(f!.message).toContain('a job sets the name the host takes at its next boot');
    expect(f!.message).not.toMatch(/becomes root|from the host a job/);
  });
  it.each([
    ['/etc/ssl/certs:/etc/ssl/certs', 'and at once every TLS connection of the host'],
    ['/etc/pki/ca-trust:/etc/pki/ca-trust', 'and at once every TLS connection of the host'],
    ['/etc/pki/tls/certs:/etc/pki/tls/certs:rw', 'and at once every TLS connection of the host'],
    ['/usr/local/share/ca-certificates:/usr/local/share/ca-certificates', 'and once update-ca-certificates next runs (package updates run it) every TLS connection'],
  ])('%s: an error that says the host\'s TLS trust is taken, not root', (volume, when) => {
    const [f, ...rest] = escapes(volume);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ code: 'RF309', severity: 'error', fix: expect.stringMatching(/^mount it read-only \(.*:ro\)/) });
    expect(f!.message).toContain('plants a certificate authority of its own in the host\'s TLS trust store');
    expect(f!.message).toContain(when);
    expect(f!.message).toContain('hands the job the host\'s TLS trust');
    expect(f!.message).not.toMatch(/becomes root|from the host a job/);
  });
  it.each(['/etc/ssl:/etc/ssl', '/etc/pki:/etc/pki', '/etc/ssl/private:/x'])('twin: %s (private keys too) still makes a job root on the host', (volume) => {
    expect(escapes(volume)[0]!.message).toContain('becomes root on the host');
  });
  it.each(['/etc/hostname:/etc/hostname:ro', '/etc/ssl/certs:/etc/ssl/certs:ro'])('twin: %s read-only, no finding', (volume) => {
    expect(escapes(volume)).toEqual([]);
  });
  it('the doctor on a config.toml: /etc/ssl/certs at the volumes line, an error', () => {
    const toml = 'concurrent = 1\n\n[[runners]]\n  name = "docker"\n  url = "https://gitlab.example.com"\n  executor = "docker"\n  [runners.docker]\n    image = "alpine:3.20"\n    volumes = ["/cache", "/etc/ssl/certs:/etc/ssl/certs"]\n';
    const rf309 = doctor([{ path: 'config.toml', bytes: new TextEncoder().encode(toml) }]).findings.filter((f) => f.code === 'RF309');
    expect(rf309).toEqual([expect.objectContaining({ severity: 'error', path: 'config.toml:9:26', message: expect.stringContaining("the host's TLS trust store") })]);
  });
});
