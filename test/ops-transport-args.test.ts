import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { opsCommand, type OpsWorld } from '../src/cli/ops.js';
import { makeFetch, proxyProblem, readCaBundle, TransportSetupError } from '../src/live/http.js';
import { which } from './helpers/tools.js';
import { VirtualClock } from './helpers/gitlab-double.js';

const spec = fileURLToPath(new URL('../examples/eks-irsa.yaml', import.meta.url));
const TOKEN = 'glpat-transport-test-token';

/**
 * The transport and the token are checked before any request: a CA bundle that cannot be used, a
 * proxy variable that is no proxy URL, or a token an HTTP header cannot carry is exit 2 with what
 * is wrong and the fix; before, they were an internal error (exit 70) or six failed retries.
 */
describe('--ca-file, proxy variables and the token: exit 2 before any request', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rf-transport-'));
  const run = async (opts: Record<string, unknown>, env: Record<string, string>, stdin = '') => {
    let err = '';
    let requests = 0;
    const world = {
      env,
      readStdin: () => Promise.resolve(stdin),
      // Retries of the failing requests wait on a virtual clock.
      timing: new VirtualClock(),
      fetch: () => {
        requests++;
        return Promise.reject(new Error('no network in this test'));
      },
    } as unknown as OpsWorld;
    const code = await opsCommand('status', spec, { json: true, ...opts }, { out: () => undefined, err: (s) => (err += s) }, world);
    return { code, err, requests };
  };

  const notPem = join(dir, 'not.pem');
  writeFileSync(notPem, 'this is no certificate\n');
  const damaged = join(dir, 'damaged.pem');
  writeFileSync(damaged, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');

  it.each([
    ['a missing file', join(dir, 'missing.pem'), /--ca-file: cannot read the CA bundle ".*missing\.pem": no such file or folder/],
    ['a folder', dir, /--ca-file: cannot read the CA bundle ".*": it is a folder/],
    ['a file without a PEM certificate', notPem, /--ca-file: the CA bundle ".*not\.pem" holds no PEM certificate/],
    ['a damaged certificate', damaged, /--ca-file: certificate 1 of 1 in the CA bundle ".*damaged\.pem" is damaged \(.+\): export the CA again in PEM/],
  ])('--ca-file with %s', async (_name, caFile, message) => {
    const r = await run({ caFile }, { RUNNER_FLEET_GITLAB_TOKEN: TOKEN });
    expect(r.err).toMatch(message);
    expect(r.code).toBe(2);
    expect(r.requests).toBe(0);
    expect(r.err).not.toContain('internal');
  });

  it('--ca-file with a real CA certificate goes on to ask GitLab', async (ctx) => {
    if (!which('openssl')) {
      console.log('SKIPPED: a real CA certificate: openssl is not on PATH');
      ctx.skip();
      return;
    }
    const r0 = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=test-ca', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'ca.pem')], { encoding: 'utf8' });
    expect(r0.status, r0.stderr).toBe(0);
    // Two certificates, as a bundle holds them.
    const bundle = join(dir, 'bundle.pem');
    writeFileSync(bundle, `${readFileSync(join(dir, 'ca.pem'), 'utf8')}\n${readFileSync(join(dir, 'ca.pem'), 'utf8')}`);
    expect(await readCaBundle(bundle)).toContain('BEGIN CERTIFICATE');
    const r = await run({ caFile: bundle }, { RUNNER_FLEET_GITLAB_TOKEN: TOKEN });
    expect(r.err).not.toMatch(/--ca-file/);
    expect(r.requests).toBeGreaterThan(0);
  });

  it.each([
    ['HTTPS_PROXY', 'notaurl'],
    ['https_proxy', 'user:s3cret-pass@proxy.example:3128'],
    ['HTTP_PROXY', 'socks5://proxy.example:1080'],
    ['http_proxy', 'http://user:s3cret-pass@'],
  ])('%s=%s', async (name, value) => {
    const r = await run({}, { RUNNER_FLEET_GITLAB_TOKEN: TOKEN, [name]: value });
    expect(r.err).toMatch(new RegExp(`${name} ".*" is not the URL of an HTTP proxy: give http://host:port`));
    expect(r.code).toBe(2);
    expect(r.requests).toBe(0);
    // A password in a proxy URL is never echoed.
    expect(r.err).not.toContain('s3cret');
  });

  it('proxy URLs that work pass the check; NO_PROXY is not a URL and is not checked', () => {
    expect(proxyProblem({ HTTPS_PROXY: 'http://proxy.example:3128', https_proxy: 'https://u:p@proxy.example', NO_PROXY: 'localhost,.internal', HTTP_PROXY: '' })).toBeUndefined();
    expect(proxyProblem({ HTTPS_PROXY: 'proxy.example:3128' })).toMatch(/HTTPS_PROXY "proxy.example:3128" is not the URL/);
  });

  it('makeFetch refuses the same inputs with a TransportSetupError (for the callers outside the CLI)', async () => {
    await expect(makeFetch({ env: { HTTPS_PROXY: 'notaurl' } })).rejects.toBeInstanceOf(TransportSetupError);
    await expect(makeFetch({ env: {}, caFile: notPem })).rejects.toThrow(/holds no PEM certificate/);
    await expect(makeFetch({ env: {} })).resolves.toBeTypeOf('function');
  });

  it.each([
    ['a tab in RUNNER_FLEET_GITLAB_TOKEN', {}, { RUNNER_FLEET_GITLAB_TOKEN: 'glpat-abc\tdefgh' }, '', /RUNNER_FLEET_GITLAB_TOKEN has a character an HTTP header cannot carry .* at position 10 of 15/],
    ['non-ASCII in GITLAB_TOKEN', {}, { GITLAB_TOKEN: 'glpat-äbc' }, '', /GITLAB_TOKEN has a character .* at position 7 of 9/],
    ['a control character on stdin', { tokenStdin: true }, {}, 'glpat-abc\u0001def\n', /the token on stdin has a character .* at position 10 of 13/],
    ['a newline inside RUNNER_FLEET_KEYVAULT_TOKEN', {}, { RUNNER_FLEET_GITLAB_TOKEN: TOKEN, RUNNER_FLEET_KEYVAULT_TOKEN: 'eyJabc\nxyz' }, '', /RUNNER_FLEET_KEYVAULT_TOKEN has a character .* at position 7 of 10/],
  ])('%s', async (_name, opts, env, stdin, message) => {
    const r = await run(opts, env, stdin);
    expect(r.err).toMatch(message);
    expect(r.err).toMatch(/value not shown/);
    expect(r.code).toBe(2);
    expect(r.requests).toBe(0);
    expect(r.err).not.toMatch(/abc|äbc/);
  });

  it('what a message echoes is escaped: a bidi override or escape sequence is shown, never obeyed', async () => {
    const r = await run({ runner: 'build\u202egnp.exe\u001b[2J', caFile: join(dir, 'x\u202e.pem') }, { RUNNER_FLEET_GITLAB_TOKEN: TOKEN });
    expect(r.code).toBe(2);
    expect(r.err).toContain('build\\u202egnp.exe\\u001b[2J');
    expect(r.err.includes('\u202e') || r.err.includes('\u001b')).toBe(false);
  });

  it('a token of visible ASCII goes on to ask GitLab', async () => {
    const r = await run({}, { RUNNER_FLEET_GITLAB_TOKEN: TOKEN });
    expect(r.err).not.toMatch(/HTTP header/);
    expect(r.requests).toBeGreaterThan(0);
  });
});
