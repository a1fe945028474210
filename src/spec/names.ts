import { createHash } from 'node:crypto';

/** A short, stable hash used when a derived name must be shortened. */
export function shortHash(input: string, length = 6): string {
  return createHash('sha256').update(input).digest('hex').slice(0, length);
}

/**
 * Fits `name` into `max` characters: unchanged when it fits, otherwise cut and given a hash of the
 * full name so two long names that share a prefix stay distinct. `keep`, a suffix of `name` that
 * says what the name is for (`-manager`, `-jobs`), survives the cut: the part before it is
 * shortened and the hash goes between, so a shortened manager role still reads as the manager's.
 */
export function fitName(name: string, max: number, separator = '-', keep = ''): string {
  if (name.length <= max) return name;
  const hash = shortHash(name);
  // A suffix that leaves no room for a head is not kept (no caller passes one that long).
  const tail = keep !== '' && name.endsWith(keep) && keep.length + hash.length + separator.length < max ? keep : '';
  let head = name.slice(0, max - hash.length - separator.length - tail.length);
  head = head.replace(/[-_.]+$/, '');
  return `${head}${separator}${hash}${tail}`;
}

export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_LABEL_MAX = 63;
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const DNS1123_SUBDOMAIN_MAX = 253;

/** A DNS-1123 label (Kubernetes namespace, service account, most object names). */
export function dnsLabel(name: string): string {
  return fitName(name.toLowerCase(), DNS1123_LABEL_MAX);
}

export function isDnsLabel(name: string): boolean {
  return name.length <= DNS1123_LABEL_MAX && DNS1123_LABEL.test(name);
}

export function isDnsSubdomain(name: string): boolean {
  return name.length <= DNS1123_SUBDOMAIN_MAX && DNS1123_SUBDOMAIN.test(name);
}

/** IAM role names: up to 64 characters of [\w+=,.@-]. */
export const IAM_ROLE_NAME_MAX = 64;
export const IAM_ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/** `keep`: the suffix that says what the role is for (`-manager`, `-jobs`, `-deploy`); it survives shortening. */
export function iamRoleName(name: string, keep = ''): string {
  return fitName(name, IAM_ROLE_NAME_MAX, '-', keep);
}

/** S3 bucket names: 3–63 lower-case letters, digits, dots and hyphens, starting and ending alphanumeric. */
export const S3_BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
