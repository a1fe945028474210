import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { opsCommand } from '../src/cli/ops.js';

const spec = fileURLToPath(new URL('../examples/eks-api-rotation.yaml', import.meta.url));

/** Every --kube-api value is checked before any call: a typo is exit 2 with what is allowed, never a failed request later. */
describe('--kube-api values', () => {
  const run = async (kubeApi: string[]) => {
    let err = '';
    let requests = 0;
    const code = await opsCommand('status', spec, { kubeApi, json: true }, { out: () => undefined, err: (s) => (err += s) }, {
      env: {},
      fetch: () => {
        requests++;
        return Promise.reject(new Error('no network in this test'));
      },
    } as never);
    return { code, err, requests };
  };

  it.each([
    ['no =', ['devops'], /is not <cluster>=<api>/],
    ['a cluster the spec does not declare', ['prod=eks:prod@eu-central-1'], /names cluster "prod", which .* does not declare \(clusters: devops\)/],
    ['eks: without a region', ['devops=eks:devops'], /must be an http\(s\) URL .* eks:<cluster name>@<region>/],
    ['eks: with a region that is no region', ['devops=eks:devops@frankfurt'], /eks:<cluster name>@<region>/],
    ['aks: without a resource group', ['devops=aks:ci'], /aks:<cluster name>@<resource group>/],
    ['neither a URL nor eks:/aks:', ['devops=127.0.0.1:8001'], /must be an http\(s\) URL/],
    ['a URL with a path and a query (joined into every Secret request)', ['devops=http://127.0.0.1:8082/../x?y#z'], /must be an http\(s\) URL with nothing after host:port/],
    ['a URL with user info', ['devops=http://user:pw@127.0.0.1:8001'], /must be an http\(s\) URL with nothing after host:port/],
  ])('%s: exit 2, nothing called', async (_name, kubeApi, message) => {
    const r = await run(kubeApi);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.requests).toBe(0);
  });

  it.each([
    ['a kubectl proxy URL', ['devops=http://127.0.0.1:8001']],
    ['a kubectl proxy URL with a trailing slash', ['devops=http://127.0.0.1:8001/']],
    ['eks:<name>@<region>', ['devops=eks:devops@eu-central-1']],
  ])('%s is accepted (the command goes on to need its GitLab token)', async (_name, kubeApi) => {
    const r = await run(kubeApi);
    expect(r.err).not.toMatch(/--kube-api/);
    expect(r.err).toMatch(/GitLab access token/);
    expect(r.code).toBe(2);
  });
});
