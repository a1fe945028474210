import { readFile } from 'node:fs/promises';
import { errnoReason } from '../io/errno.js';
import type { FetchLike } from './gitlab.js';

/**
 * The transport cannot be set up as the command line and environment ask (an unreadable CA
 * bundle, a proxy variable that is no proxy URL): a wrong command (exit 2), found before any
 * request, never a request that fails six times later.
 */
export class TransportSetupError extends Error {
  override name = 'TransportSetupError';
}

/** The proxy variables undici's EnvHttpProxyAgent reads, upper- and lower-case. */
const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'] as const;

/** A proxy value as it may be shown: user and password (`user:secret@`) never are. */
function shownProxy(value: string): string {
  const cut = value.length > 120 ? `${value.slice(0, 120)}…` : value;
  return JSON.stringify(cut.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)?[^@/]*@/, '$1…@'));
}

/** Why a proxy variable of `env` cannot be used, or undefined when every one set can. */
export function proxyProblem(env: Readonly<Record<string, string | undefined>>): string | undefined {
  for (const name of PROXY_VARIABLES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
      return `${name} ${shownProxy(value)} is not the URL of an HTTP proxy: give http://host:port (or https://host:port), or unset it`;
    }
  }
  return undefined;
}

/**
 * The CA bundle of a file, checked: readable, and every PEM certificate in it one that Node's X.509
 * parser reads (Node's TLS takes any text as a CA and only fails the handshake later).
 */
export async function readCaBundle(file: string): Promise<string> {
  const shown = JSON.stringify(file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new TransportSetupError(`cannot read the CA bundle ${shown}: ${errnoReason(e)}`);
  }
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new TransportSetupError(`the CA bundle ${shown} holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the CA certificate(s) of the server in PEM`);
  const { X509Certificate } = await import('node:crypto');
  blocks.forEach((pem, i) => {
    try {
      new X509Certificate(pem);
    } catch (e) {
      throw new TransportSetupError(`certificate ${i + 1} of ${blocks.length} in the CA bundle ${shown} is damaged (${e instanceof Error ? e.message.split('\n')[0]! : String(e)}): export the CA again in PEM`);
    }
  });
  return text;
}

/**
 * The transport for self-hosted GitLab and Kubernetes API servers: a CA bundle (`--ca-file`, or
 * the cluster CA in a pod) and the standard proxy variables (HTTPS_PROXY, HTTP_PROXY, NO_PROXY,
 * lower-case too). Node 20's built-in fetch reads neither, so undici (the same library that
 * implements it) is loaded, lazily, only when one of them is in use.
 * @throws TransportSetupError when the CA bundle or a proxy variable cannot be used.
 */
export async function makeFetch(opts: { caFile?: string; ca?: string; env?: Readonly<Record<string, string | undefined>> } = {}): Promise<FetchLike> {
  const env = opts.env ?? process.env;
  const proxied = PROXY_VARIABLES.some((k) => env[k] !== undefined && env[k] !== '');
  const problem = proxied ? proxyProblem(env) : undefined;
  if (problem !== undefined) throw new TransportSetupError(problem);
  const ca = opts.ca ?? (opts.caFile !== undefined ? await readCaBundle(opts.caFile) : undefined);
  if (!proxied && ca === undefined) return (url, init) => fetch(url, init);
  const undici = await import('undici');
  const tls = ca !== undefined ? { ca } : {};
  const dispatcher = proxied
    ? new undici.EnvHttpProxyAgent({ connect: tls, requestTls: tls, proxyTls: tls })
    : new undici.Agent({ connect: tls });
  return async (url, init) => await undici.fetch(url, { ...init, dispatcher });
}
