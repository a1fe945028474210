import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCertificates } from './helpers/keyvault-double.js';
import { KubeDouble } from './helpers/kube-double.js';
import { ACCESS_TOKEN, CANARY, harness, opsSpec, writeSpec } from './helpers/ops-world.js';

/**
 * A self-hosted Kubernetes API server at an https:// --kube-api whose certificate a private CA
 * signed: `--kube-ca-file <cluster>=<pem>` gives that cluster's CA, as kubectl's
 * --certificate-authority (or the kubeconfig's certificate-authority) does; every TLS failure
 * names the CA that was used. --ca-file stays GitLab's only.
 */
const certs = testCertificates('the Kubernetes API over https with a private CA');
const other = certs ? testCertificates('the Kubernetes API over https with a private CA (a second CA)') : undefined;

/** The service account token the API server double accepts (a canary: it must never be printed). */
const KUBE_TOKEN = `eyJhbGciOiJSUzI1NiJ9.kube-${CANARY}.sig`;

describe.skipIf(!certs || !other)('--kube-ca-file: the CA of an https:// Kubernetes API', () => {
  const kube = new KubeDouble(KUBE_TOKEN);
  let base = '';
  const dir = mkdtempSync(join(tmpdir(), 'rf-kube-ca-'));
  const caFile = join(dir, 'cluster-ca.pem');
  const otherCa = join(dir, 'other-ca.pem');
  const tokenFile = join(dir, 'token');
  beforeAll(async () => {
    base = await kube.listen({ key: certs!.key, cert: certs!.cert });
    kube.addDeployment('ci-k8s', 'k8s-gitlab-runner');
    writeFileSync(caFile, certs!.ca);
    writeFileSync(otherCa, other!.ca);
    writeFileSync(tokenFile, `${KUBE_TOKEN}\n`);
  });
  afterAll(() => kube.close());

  /** `register --approve --runner k8s` through the live Kubernetes client (no store double). */
  const register = async (kubeCaFile?: string[], kubeApi = [`devops=${base}`], kubeTokenFile: string[] | undefined = [`devops=${tokenFile}`]) => {
    const h = harness(writeSpec(opsSpec()));
    h.world.store = undefined;
    return { ...(await h.run('register', { approve: true, runner: 'k8s', kubeApi, ...(kubeCaFile ? { kubeCaFile } : {}), ...(kubeTokenFile ? { kubeTokenFile } : {}) })), h };
  };

  it('with the cluster CA the Secret is written over https and the Deployment restarted', async () => {
    const r = await register([`devops=${caFile}`]);
    expect(r.code, r.out + r.err).toBe(0);
    expect(kube.secrets.has('ci-k8s/k8s-runner-token')).toBe(true);
    expect(r.out).toMatch(/created #\d+, token stored; manager restarted/);
    expect(r.out + r.err).not.toContain(ACCESS_TOKEN);
    expect(r.out + r.err).not.toContain(CANARY);
  });

  it('without it: one attempt, the TLS code, and the CA used (Node\'s bundled CAs) and the fix (--kube-ca-file) named', async () => {
    const before = kube.requests.length;
    const r = await register();
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^error: cannot reach the Kubernetes API of cluster devops for GET \/api\/v1\/namespaces\/ci-k8s\/secrets\/k8s-runner-token \(trusting only Node's bundled public CAs and NODE_EXTRA_CA_CERTS\): the TLS certificate of 127\.0\.0\.1:\d+ is not signed by a CA this command trusts \([A-Z_]+\): give the cluster CA \(PEM; the certificate-authority of the cluster in your kubeconfig\) with --kube-ca-file <cluster>=<pem>/m);
    expect(kube.requests.length).toBe(before);
  });

  it('with another CA: the message names that --kube-ca-file, and what it must hold', async () => {
    const r = await register([`devops=${otherCa}`]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`(trusting --kube-ca-file devops=${JSON.stringify(otherCa)}): the TLS certificate of 127.0.0.1:`);
    expect(r.out).toMatch(/give --kube-ca-file devops=<pem> the CA certificate \(PEM\) that signed the certificate of 127\.0\.0\.1:\d+, with any intermediate CA/);
  });

  it.each([
    ['no =', () => ['devops'], () => [`devops=${base}`], /--kube-ca-file "devops" is not <cluster>=<pem file>/],
    ['a cluster without --kube-api', () => [`devops=${caFile}`], () => [], /cluster "devops" has no --kube-api, and the CA is only for an https:\/\/ API server address/],
    ['an http:// (kubectl proxy) --kube-api', () => [`devops=${caFile}`], () => ['devops=http://127.0.0.1:8001'], /cluster "devops" has --kube-api "http:\/\/127\.0\.0\.1:8001", and the CA is only for an https:\/\/ API server address/],
    ['an eks: --kube-api', () => [`devops=${caFile}`], () => ['devops=eks:devops@eu-central-1'], /eks:\/aks: read the cluster CA from the cloud/],
    ['one cluster twice', () => [`devops=${caFile}`, `devops=${otherCa}`], () => [`devops=${base}`], /--kube-ca-file names cluster "devops" twice/],
    ['a file that is not there', () => [`devops=${join(dir, 'missing.pem')}`], () => [`devops=${base}`], /--kube-ca-file devops=…: cannot read the CA bundle ".*missing\.pem"/],
    ['a file with no certificate', () => [`devops=${join(dir, 'empty.pem')}`], () => [`devops=${base}`], /holds no PEM certificate/],
    ['an https:// --kube-api with no --kube-token-file (no credential)', () => [`devops=${caFile}`], () => [`devops=${base}`], /--kube-api devops=https:\/\/127\.0\.0\.1:\d+ names an https:\/\/ API server but no credential for it .*: give --kube-token-file devops=<file>, a file holding a bearer token/, []],
    ['--kube-token-file without =', () => [`devops=${caFile}`], () => [`devops=${base}`], /--kube-token-file "devops" is not <cluster>=<file>/, ['devops']],
    ['--kube-token-file for a kubectl proxy (http://) API', () => [], () => ['devops=http://127.0.0.1:8001'], /--kube-token-file ".*": cluster "devops" has --kube-api "http:\/\/127\.0\.0\.1:8001", and a bearer token is sent only to an https:\/\/ API server address/, ['devops=TOKENFILE']],
    ['--kube-token-file for an eks: API', () => [], () => ['devops=eks:devops@eu-central-1'], /eks:\/aks: mint their own tokens/, ['devops=TOKENFILE']],
    ['--kube-token-file naming one cluster twice', () => [`devops=${caFile}`], () => [`devops=${base}`], /--kube-token-file names cluster "devops" twice/, ['devops=TOKENFILE', 'devops=TOKENFILE']],
    ['a token file that is not there', () => [`devops=${caFile}`], () => [`devops=${base}`], /--kube-token-file devops=".*missing-token": cannot read the token file/, [`devops=${join(dir, 'missing-token')}`]],
    ['an empty token file', () => [`devops=${caFile}`], () => [`devops=${base}`], /--kube-token-file devops=".*empty-token" holds no token/, [`devops=${join(dir, 'empty-token')}`]],
  ])('%s: exit 2 before any request', async (_name, cas, apis, message, tokenFiles?: string[]) => {
    writeFileSync(join(dir, 'empty.pem'), 'not a certificate\n');
    writeFileSync(join(dir, 'empty-token'), '\n');
    const before = kube.requests.length;
    const r = await register(cas(), apis(), tokenFiles?.map((t) => t.replace('TOKENFILE', tokenFile)));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(kube.requests.length).toBe(before);
    expect(r.h.double.requests).toBe(0);
    expect(r.out + r.err).not.toContain(CANARY);
  });

  it('the token of --kube-token-file is the bearer of the requests and is never printed; a refused one is a 401, named without the token; a file rewritten between runs is read again', async () => {
    const before = kube.requests.length;
    const wrong = join(dir, 'wrong-token');
    writeFileSync(wrong, `not-the-token-${CANARY}\n`);
    const refused = await register([`devops=${caFile}`], [`devops=${base}`], [`devops=${wrong}`]);
    expect(refused.code).toBe(2);
    expect(refused.out).toMatch(/HTTP 401/);
    expect(refused.out + refused.err).not.toContain(CANARY);
    expect(kube.requests.length).toBeGreaterThan(before);
    // The file changes between runs (a projected token the kubelet replaced): the new one is used.
    writeFileSync(wrong, `${KUBE_TOKEN}\n`);
    kube.secrets.delete('ci-k8s/k8s-runner-token');
    const ok = await register([`devops=${caFile}`], [`devops=${base}`], [`devops=${wrong}`]);
    expect(ok.code, ok.out + ok.err).toBe(0);
    expect(ok.out + ok.err).not.toContain(CANARY);
  });
});
