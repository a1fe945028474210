import type { Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import { CLOUD_KEY_NAMES, referenceAssignments } from '../verify/credentials.js';
import type { Evidence } from './evidence.js';
import { formatPosition, type Position } from './source.js';

/** A reference as written (`${var.access_key}`), which names where the key comes from and is no key itself; any other expression is not shown. */
const REFERENCE = /^\$\{(?:var|local|module|data)\.[A-Za-z0-9_.-]+\}$/;

interface Where {
  /** Where the key lands on the host, for the message. */
  lands: string;
  /** The text as the user wrote it (Terraform interpolations as written) and where character `i` of it is. */
  text: string;
  pos: (i: number) => Position;
}

function placesOf(ev: Evidence, address: string): Where[] {
  const out: Where[] = [];
  const source = ev.terraform.userDataSources?.get(address);
  // A template (a heredoc in the .tf, a templatefile()): its `${…}` are Terraform's. A file read with
  // file() is not rendered: a `${x}` in it is the shell's, not Terraform's.
  if (source?.kind === 'template') {
    const lines = source.text.split('\n');
    const starts: number[] = [];
    let n = 0;
    for (const l of lines) {
      starts.push(n);
      n += l.length + 1;
    }
    out.push({
      lands: 'its user data',
      text: source.text,
      pos: (i) => {
        let line = starts.length - 1;
        while (line > 0 && starts[line]! > i) line--;
        return { file: source.file, line: source.line + line + 1, column: i - starts[line]! + source.flush + 1 };
      },
    });
  }
  for (const step of ev.terraform.provisioners?.get(address) ?? []) {
    if (step.kind === 'line') out.push({ lands: 'a line its remote-exec provisioner runs', text: step.written, pos: (i) => (step.loc.json ? step.at : step.loc.pos(step.offset + i)) });
    else if (step.kind === 'file' && step.written !== undefined) {
      const { loc, offset, at, written } = step;
      out.push({ lands: `the file ${step.destination} its file provisioner writes`, text: written, pos: (i) => (loc === undefined || offset === undefined || loc.json ? at : loc.pos(offset + i)) });
    }
  }
  return out;
}

/**
 * RF937: a static cloud credential handed to a runner host (`addresses`: the instances and launch
 * templates read as runner managers, as written) through Terraform: a cloud credential key set from
 * a Terraform interpolation in its user data or in a provisioner. No key is written in the file (not
 * RF940), but the design puts a key that never expires on the host, where every job that reaches
 * the host's files reads it (with the shell executor, every job), and in user data it is also
 * readable from the instance metadata and kept in the Terraform state. The provider block's own
 * `access_key = var.x` is the deployer's credential and no runner host's: not read here.
 */
export function staticKeysOnHosts(ev: Evidence, addresses: readonly string[]): Finding[] {
  const findings: Finding[] = [];
  for (const address of new Set(addresses)) {
    for (const where of placesOf(ev, address)) {
      // A cloud credential key assigned a Terraform interpolation, anywhere in the text (credentials.ts referenceAssignments).
      for (const m of referenceAssignments(where.text, CLOUD_KEY_NAMES)) {
        const key = m.key;
        const expr = m.expr;
        const from = REFERENCE.test(expr) ? ` (${expr.slice(2, -1)})` : '';
        const at = where.pos(m.index);
        const fix = /^(?:AZURE|ARM|client|clientSecret|storage|primary)/.test(key) ? 'give the host a managed identity and grant it the access instead of a static key' : 'give the instance an instance profile (an IAM role) and grant it the access instead of a static key';
        findings.push({
          code: 'RF937',
          severity: CODES.RF937.severity,
          path: formatPosition(at),
          message: `${address}: ${where.lands} sets ${key} from a Terraform value${from}: a static cloud key that never expires lands on the runner host, where every job that reaches the host's files can read it${where.lands === 'its user data' ? ', and the user data is readable from the instance metadata and kept in the Terraform state' : ''}`,
          fix,
        });
      }
    }
  }
  return findings;
}
