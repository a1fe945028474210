import { Redactor } from '../live/redact.js';

/** Anything shaped like a GitLab token or a JWT (the Redactor's shapes), and AWS access key ids. */
const shapes = new Redactor();
const AWS_KEY_ID = /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g;
/** Control and bidi characters other than newline and tab: shown as `\uXXXX`, never obeyed by a terminal. */
// eslint-disable-next-line no-control-regex
const UNSAFE_OUT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/**
 * Everything the CLI prints passes here last: whatever a message echoes (a spec value, a path, a
 * key, an answer of GitLab or a file the doctor read) cannot carry a credential or a terminal
 * escape to the screen or a CI log. Inside JSON output the escapes stay valid JSON.
 */
export function safeOutput(text: string): string {
  return shapes.redact(text).replace(AWS_KEY_ID, '[REDACTED]').replace(UNSAFE_OUT, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
