import { readFile } from 'node:fs/promises';
import type { FetchLike } from './gitlab.js';

/**
 * The transport for self-hosted GitLab and Kubernetes API servers: a CA bundle (`--ca-file`, or
 * the cluster CA in a pod) and the standard proxy variables (HTTPS_PROXY, HTTP_PROXY, NO_PROXY,
 * lower-case too). Node 20's built-in fetch reads neither, so undici (the same library that
 * implements it) is loaded, lazily, only when one of them is in use.
 */
export async function makeFetch(opts: { caFile?: string; ca?: string } = {}): Promise<FetchLike> {
  const env = process.env;
  const proxied = [env.HTTPS_PROXY, env.https_proxy, env.HTTP_PROXY, env.http_proxy].some((v) => v !== undefined && v !== '');
  const ca = opts.ca ?? (opts.caFile !== undefined ? await readFile(opts.caFile, 'utf8') : undefined);
  if (!proxied && ca === undefined) return (url, init) => fetch(url, init);
  const undici = await import('undici');
  const tls = ca !== undefined ? { ca } : {};
  const dispatcher = proxied
    ? new undici.EnvHttpProxyAgent({ connect: tls, requestTls: tls, proxyTls: tls })
    : new undici.Agent({ connect: tls });
  return async (url, init) => await undici.fetch(url, { ...init, dispatcher });
}
