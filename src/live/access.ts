/**
 * An API refused the credential this command was given (HTTP 401: not accepted; 403: accepted but
 * without the scope, role or permission the call needs). Not drift and not an outage: the input
 * (the token, the kubeconfig, the Azure identity) is wrong, so the operations commands exit 2,
 * with the call, the status and what the credential needs.
 */
export class AccessRefusedError extends Error {
  readonly accessRefused = true;
  override name = 'AccessRefusedError';
}

/** Whether `e` says a credential was refused (an AccessRefusedError, or a GitLab error marked so). */
export function isAccessRefused(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { accessRefused?: unknown }).accessRefused === true;
}
