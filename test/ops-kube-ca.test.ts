import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCertificates } from './helpers/keyvault-double.js';
import { KubeDouble } from './helpers/kube-double.js';
import { ACCESS_TOKEN, harness, opsSpec, writeSpec } from './helpers/ops-world.js';

/**
 * A self-hosted Kubernetes API server at an https:// --kube-api whose certificate a private CA
 * signed: `--kube-ca-file <cluster>=<pem>` gives that cluster's CA, as kubectl's
 * --certificate-authority (or the kubeconfig's certificate-authority) does; every TLS failure
 * names the CA that was used. --ca-file stays GitLab's only.
 */
const certs = testCertificates('the Kubernetes API over https with a private CA');
const other = certs ? testCertificates('the Kubernetes API over https with a private CA (a second CA)') : undefined;

describe.skipIf(!certs || !other)('--kube-ca-file: the CA of an https:// Kubernetes API', () => {
  const kube = new KubeDouble(undefined);
  let base = '';
  const dir = mkdtempSync(join(tmpdir(), 'rf-kube-ca-'));
  const caFile = join(dir, 'cluster-ca.pem');
  const otherCa = join(dir, 'other-ca.pem');
  beforeAll(async () => {
    base = await kube.listen({ key: certs!.key, cert: certs!.cert });
    kube.addDeployment('ci-k8s', 'k8s-gitlab-runner');
    writeFileSync(caFile, certs!.ca);
    writeFileSync(otherCa, other!.ca);
  });
  afterAll(() => kube.close());

  /** `register --approve --runner k8s` through the live Kubernetes client (no store double). */
  const register = async (kubeCaFile?: string[], kubeApi = [`devops=${base}`]) => {
    const h = harness(writeSpec(opsSpec()));
    h.world.store = undefined;
    return { ...(await h.run('register', { approve: true, runner: 'k8s', kubeApi, ...(kubeCaFile ? { kubeCaFile } : {}) })), h };
  };

  it('with the cluster CA the Secret is written over https and the Deployment restarted', async () => {
    const r = await register([`devops=${caFile}`]);
    expect(r.code, r.out + r.err).toBe(0);
    expect(kube.secrets.has('ci-k8s/k8s-runner-token')).toBe(true);
    expect(r.out).toMatch(/created #\d+, token stored; manager restarted/);
    expect(r.out + r.err).not.toContain(ACCESS_TOKEN);
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
  ])('%s: exit 2 before any request', async (_name, cas, apis, message) => {
    writeFileSync(join(dir, 'empty.pem'), 'not a certificate\n');
    const before = kube.requests.length;
    const r = await register(cas(), apis());
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(kube.requests.length).toBe(before);
    expect(r.h.double.requests).toBe(0);
  });
});
