import { createHash } from 'node:crypto';

/** A short, stable hash used when a derived name must be shortened. */
export function shortHash(input: string, length = 6): string {
  return createHash('sha256').update(input).digest('hex').slice(0, length);
}

/**
 * Fits `name` into `max` characters: unchanged when it fits, otherwise cut and suffixed with a
 * hash of the full name so two long names that share a prefix stay distinct.
 */
export function fitName(name: string, max: number, separator = '-'): string {
  if (name.length <= max) return name;
  const hash = shortHash(name);
  let head = name.slice(0, max - hash.length - separator.length);
  head = head.replace(/[-_.]+$/, '');
  return `${head}${separator}${hash}`;
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

export function iamRoleName(name: string): string {
  return fitName(name, IAM_ROLE_NAME_MAX);
}

/** S3 bucket names: 3–63 lower-case letters, digits, dots and hyphens, starting and ending alphanumeric. */
export const S3_BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
