import type { Finding } from '../spec/findings.js';
import type { FleetDocuments } from '../emit/types.js';
import { userDataOf } from '../platforms/aws-vm/common.js';
import type { Evidence } from './evidence.js';
import { formatPosition, originAt } from './source.js';
import { readLineOf, userDataLinePlace } from './user-data-place.js';
import { otherUserDataText, userDataText } from './vm.js';
import { launchTemplateUserData } from './aws-instance.js';

/**
 * A finding about a line of a launch template's user data (RF720: `subject.userDataLine`), placed
 * where the user wrote that line: the file, line and column of the command in their script,
 * template or heredoc, with the message naming that line (`line 7 of boot.sh`). Where no one line
 * of theirs writes it (an interpolation or directive renders it, a concatenation, a config.toml the
 * doctor rewrote), the finding points at the `user_data` argument and claims no line.
 */
export function atUserDataLine(f: Finding, ev: Evidence, docs: FleetDocuments): Finding {
  const s = f.subject;
  if (s?.kind !== 'resource' || s.userDataLine === undefined) return f;
  const written = ev.terraform.renamed?.get(s.address) ?? s.address;
  const origin = ev.terraform.origins.get(written) ?? ev.terraform.origins.get(s.address);
  const [type, ...rest] = s.address.split('.');
  const [writtenType, ...writtenRest] = written.split('.');
  const checkedBody = docs.terraformAws?.resource[type!]?.[rest.join('.')];
  const body = ev.terraform.resource[writtenType!]?.[writtenRest.join('.')];
  if (!origin || !checkedBody || !body) return f;
  const checked = userDataOf(docs, checkedBody).text;
  const texts = new Map<string, string>();
  for (const a of ev.artifacts) if (a.format === 'text') texts.set(a.path, a.content);
  // An instance's or launch configuration's user data is plain text: read as the launch template it stands for holds it.
  const read = writtenType === 'aws_launch_template' ? otherUserDataText(body, origin.source.path, texts) : userDataText({ user_data: launchTemplateUserData(body, !ev.terraform.unknowns.has(`${written}.user_data`)) }, origin.source.path, texts);
  if (checked === undefined || read === undefined || 'problem' in read) return f;
  const line = readLineOf(read.text, checked, s.userDataLine.line);
  const source = ev.terraform.userDataSources?.get(written) ?? (typeof body.user_data === 'string' && !body.user_data.includes('${') ? ({ kind: 'literal' } as const) : ({ kind: 'expression' } as const));
  const place = line !== undefined ? userDataLinePlace(source, read.text, line) : undefined;
  const said = s.userDataLine.said;
  const words = place
    ? `line ${place.line} of ${place.file}`
    : source.kind === 'literal' && line !== undefined
      ? `line ${line} of the user data as decoded from its base64`
      : source.kind === 'file' || source.kind === 'template'
        ? `a line that no one line of ${source.file} writes: an interpolation or a directive renders it`
        : 'a line of the user data as Terraform renders it';
  return { ...f, path: formatPosition(place ?? originAt(origin, 'user_data')), ...(said !== undefined ? { message: f.message.replace(said, words) } : {}) };
}
