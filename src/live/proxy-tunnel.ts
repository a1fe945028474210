/**
 * The status a proxy answered to the CONNECT of an HTTPS tunnel (or of plain http, which undici's
 * proxy agent tunnels too), when that is why a request failed. undici's ProxyAgent raises no HTTP
 * answer then, but a RequestAbortedError (UND_ERR_ABORTED) whose message names the status, wrapped
 * by fetch ("fetch failed", a DOMException "Request was cancelled." with `code` 0): a 407 there is
 * the proxy asking for its own credentials, before anything reached the server. Shared by the
 * GitLab, Kubernetes API and Key Vault clients.
 */
export function tunnelStatus(e: unknown): number | undefined {
  for (let c: unknown = e, depth = 0; c !== null && typeof c === 'object' && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    const message = (c as { message?: unknown }).message;
    const m = typeof message === 'string' ? /^Proxy response \((\d{3})\) !== 200 when HTTP Tunneling$/.exec(message) : null;
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** What a 407 to the tunnel's CONNECT means and its fix, for a server at `host` that `what` names (the Kubernetes API of cluster ci, Key Vault). */
export function proxyAuthText(what: string, host: string): string {
  return `a proxy between here and ${what} asks for its own credentials (it answered 407 Proxy Authentication Required to the CONNECT that opens the tunnel to ${host}; nothing reached ${what}): give them in the proxy URL, HTTPS_PROXY=http://<user>:<password>@<host>:<port> (HTTP_PROXY for an http:// address), or add ${host.replace(/:\d+$/, '')} to NO_PROXY if it is reached directly`;
}
