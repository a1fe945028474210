import { ownEntries } from '../artifacts.js';

/**
 * Terraform's JSON syntax reads every string as a template: `${…}` is evaluated and `%{…}` is a
 * directive (https://developer.hashicorp.com/terraform/language/syntax/json). Text a user wrote
 * (tag keys and values, a runner's description, its GitLab tags) is escaped here, the one place
 * emitters turn user text into Terraform JSON, so Terraform writes it as given and never
 * evaluates it: `team ${var.team}` stays that text, and a tag cannot read another resource's
 * attributes (a runner token) into GitLab. The doctor reads such text back as Terraform does
 * (src/doctor/hcl/parse.ts: `$${` is a literal `${`), so it sees the spec's text.
 */
export function tfLiteral(text: string): string {
  return text.replace(/([$%])\{/g, '$1$1{');
}

/** A map of user text (tags) as Terraform JSON: object keys are templates too, so both are escaped. */
export function tfLiteralMap(map: Readonly<Record<string, string>>): Record<string, string> {
  // Own properties in the order given: a tag key `__proto__` (AWS allows it) is data, not the prototype.
  return ownEntries(Object.entries(map).map(([k, v]) => [tfLiteral(k), tfLiteral(v)] as const));
}

