import { safeText } from '../spec/findings.js';

/**
 * TLS failures of a request (Node's fetch and undici: `TypeError: fetch failed` whose `cause` has
 * the OpenSSL verification code, or ERR_TLS_CERT_ALTNAME_INVALID). None of them goes away on a
 * retry: they are said at once, with the code, the host and the fix. Turning verification off is
 * never the fix offered.
 */

/** The certificate's issuer is not one this process trusts. */
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
]);
/** Outside its validity period. */
const DATES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD']);
/** Valid, but not for the host asked for. */
const HOST = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH']);
/** Refused for another reason of the certificate itself. */
const OTHER = new Set(['CERT_REVOKED', 'CERT_REJECTED', 'INVALID_PURPOSE', 'PATH_LENGTH_EXCEEDED', 'CERT_CHAIN_TOO_LONG', 'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'UNABLE_TO_DECRYPT_CERT_SIGNATURE']);
/** The server at that port does not speak TLS (an https:// URL for a plain-HTTP port). */
const NOT_TLS = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST']);

export type TlsFailureKind = 'untrusted' | 'dates' | 'host' | 'certificate' | 'not-tls';

export interface TlsFailure {
  kind: TlsFailureKind;
  /** The code Node reports, e.g. DEPTH_ZERO_SELF_SIGNED_CERT. */
  code: string;
  /** For a host mismatch: the names the certificate covers (its subjectAltName), when known. */
  names?: string;
}

/** The TLS failure a thrown fetch error carries (in itself or a `cause`), or undefined. */
export function tlsFailure(e: unknown): TlsFailure | undefined {
  let at: unknown = e;
  for (let depth = 0; depth < 4 && typeof at === 'object' && at !== null; depth++) {
    const err = at as { code?: unknown; cert?: { subjectaltname?: unknown }; cause?: unknown };
    const code = typeof err.code === 'string' ? err.code : undefined;
    if (code !== undefined) {
      const kind: TlsFailureKind | undefined = UNTRUSTED.has(code) ? 'untrusted' : DATES.has(code) ? 'dates' : HOST.has(code) ? 'host' : OTHER.has(code) ? 'certificate' : NOT_TLS.has(code) ? 'not-tls' : undefined;
      if (kind !== undefined) {
        const names = typeof err.cert?.subjectaltname === 'string' ? err.cert.subjectaltname : undefined;
        return { kind, code, ...(names !== undefined && names !== '' ? { names } : {}) };
      }
    }
    at = err.cause;
  }
  return undefined;
}

/**
 * What a person does about a TLS failure at `host` (host[:port]). `url` is where the address is
 * configured (e.g. `gitlab.url https://gitlab.internal`); `caFile` the bundle given, if one was;
 * `trustFix` how a client that `--ca-file` does not feed is given a CA (the untrusted case).
 */
export function tlsAdvice(f: TlsFailure, where: { host: string; url: string; caFile?: string; trustFix?: string }): string {
  const ca = where.caFile !== undefined ? `--ca-file ${JSON.stringify(safeText(where.caFile, 200))}` : undefined;
  switch (f.kind) {
    case 'untrusted':
      // A client that --ca-file does not feed (the Kubernetes API, Key Vault) says its own way to trust the CA.
      if (where.trustFix !== undefined) return `the TLS certificate of ${where.host} is not signed by a CA this command trusts (${f.code}): ${where.trustFix}`;
      return ca !== undefined
        ? `the TLS certificate of ${where.host} is not signed by a CA this command trusts (${f.code}), and not by a CA in ${ca}: give --ca-file the CA certificate (PEM) that signed the certificate of ${where.host}, with any intermediate CA`
        : `the TLS certificate of ${where.host} is not signed by a CA this command trusts (${f.code}): give --ca-file <pem> with the CA certificate that signed it (a private or self-signed CA; with any intermediate CA)`;
    case 'dates':
      return f.code === 'CERT_HAS_EXPIRED' || f.code === 'ERROR_IN_CERT_NOT_AFTER_FIELD'
        ? `the TLS certificate of ${where.host} has expired (${f.code}): renew it on the server`
        : `the TLS certificate of ${where.host} is not valid yet (${f.code}): check the clock of this machine, or the certificate's start date`;
    case 'host':
      return `the TLS certificate of ${where.host} does not cover that host name (${f.code}${f.names !== undefined ? `; it names ${safeText(f.names, 200)}` : ''}): ${where.url} must name a host the certificate covers, or the certificate must be reissued with that name`;
    case 'certificate':
      return `the TLS certificate of ${where.host} was refused (${f.code}): replace it on the server`;
    case 'not-tls':
      return `${where.host} does not answer TLS (${f.code}): ${where.url} says https, but the server at that port speaks plain HTTP or another protocol; give the address the server answers HTTPS at`;
    default: {
      const never: never = f.kind;
      return String(never);
    }
  }
}
