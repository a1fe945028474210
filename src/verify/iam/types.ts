/**
 * The IAM policy grammar runner-fleet emits and proves things about.
 * Documents are plain JSON as AWS accepts them (single values or arrays).
 */
export type OneOrMany<T> = T | T[];

export type PrincipalBlock =
  | '*'
  | { AWS?: OneOrMany<string>; Federated?: OneOrMany<string>; Service?: OneOrMany<string> };

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: PrincipalBlock;
  NotPrincipal?: PrincipalBlock;
  Action?: OneOrMany<string>;
  NotAction?: OneOrMany<string>;
  Resource?: OneOrMany<string>;
  NotResource?: OneOrMany<string>;
  /** operator → condition key → value(s) */
  Condition?: Record<string, Record<string, OneOrMany<string | boolean | number>>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: OneOrMany<Statement>;
}

/** Who is asking: the principal as it appears in a Principal block. */
export interface RequestPrincipal {
  type: 'AWS' | 'Federated' | 'Service';
  id: string;
}

/** One API request to evaluate. Context values are strings or string lists (multi-valued keys). */
export interface Request {
  principal?: RequestPrincipal;
  action: string;
  resource: string;
  context?: Readonly<Record<string, string | readonly string[]>>;
  /**
   * Tags of the calling IAM role or user (an AWS principal only), by tag key: each becomes the
   * condition key `aws:PrincipalTag/<key>`. Keys differing only in case are refused (IAM keeps one
   * key per role or user whatever its case); a `context` key of the same name wins (a session tag
   * overrides the role's tag of the same key).
   */
  principalTags?: Readonly<Record<string, string>>;
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';
