import type { Finding } from '../spec/findings.js';
import type { FleetDocuments } from '../emit/types.js';
import { userDataOf } from '../platforms/aws-vm/common.js';
import type { Evidence } from './evidence.js';
import { formatPosition, originAt } from './source.js';
import { readLineOf, userDataLinePlace } from './user-data-place.js';
import { provisionerOwner, scriptShown, setupLineOf, type SetupStep } from './provisioners.js';
import type { Position } from './source.js';
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
  const said = s.userDataLine.said;
  // An instance's provisioners run after its user data: the text checked ends with their steps
  // (aws-instance.ts withSetup), the user data read here has none. A line of theirs is named by its
  // provisioner, at its place, where the checked line is that step's.
  const steps = writtenType === 'aws_launch_template' ? undefined : ev.terraform.provisioners?.get(written);
  const checkedLines = checked.split('\n');
  const held = setupLineOf(steps, checkedLines.length, s.userDataLine.line);
  if (held && stepLineText(held) === checkedLines[s.userDataLine.line - 1]) return atSetupLine(f, held, s.address, said);
  const line = readLineOf(read.text, checked, s.userDataLine.line);
  const source = ev.terraform.userDataSources?.get(written) ?? (typeof body.user_data === 'string' && !body.user_data.includes('${') ? ({ kind: 'literal' } as const) : ({ kind: 'expression' } as const));
  const place = line !== undefined ? userDataLinePlace(source, read.text, line) : undefined;
  const words = place
    ? `line ${place.line} of ${place.file}`
    : source.kind === 'literal' && line !== undefined
      ? `line ${line} of the user data as decoded from its base64`
      : source.kind === 'file' || source.kind === 'template'
        ? `a line that no one line of ${source.file} writes: an interpolation or a directive renders it`
        : 'a line of the user data as Terraform renders it';
  return { ...f, path: formatPosition(place ?? originAt(origin, 'user_data')), ...(said !== undefined ? { message: f.message.replace(said, words) } : {}) };
}

/** The text of line `line` of a step's piece of the setup script (a file step's first and last lines are its heredoc's). */
function stepLineText(held: { step: SetupStep; line: number }): string | undefined {
  const { step, line } = held;
  if (step.text === undefined) return undefined;
  if (step.kind !== 'file') return step.text.split('\n')[line - 1];
  return step.text.replace(/\n$/, '').split('\n')[line - 2];
}

/**
 * A finding about a line a provisioner of the instance runs (RF720 of a remote-exec `inline` line or
 * of a line of a `script` / `scripts` file): at that line where it is written, its message naming
 * that provisioner (`the remote-exec provisioner of aws_instance.x`, `the script setup.sh of the
 * remote-exec provisioner of aws_instance.x`) instead of the user data, and the line (`line 3 of setup.sh`).
 */
function atSetupLine(f: Finding, held: { step: SetupStep; line: number }, address: string, said: string | undefined): Finding {
  const { step } = held;
  let place: Position;
  let by: string;
  if (step.kind === 'script' && step.file !== undefined) {
    const text = step.text?.split('\n')[held.line - 1] ?? '';
    place = { file: step.file, line: held.line, column: /^[ \t]*/.exec(text)![0].length + 1 };
    by = scriptShown(step.file, address, step);
  } else if (step.kind === 'line') {
    place = step.loc.json ? step.at : step.loc.pos(step.offset);
    by = `the remote-exec provisioner of ${provisionerOwner(step, address)}`;
  } else {
    place = step.at;
    by = step.kind === 'file' ? `the file ${step.destination} the file provisioner of ${provisionerOwner(step, address)} writes` : `the remote-exec provisioner of ${provisionerOwner(step, address)}`;
  }
  const named = f.message.startsWith(`the user data of ${address} `) ? `${by}${f.message.slice(`the user data of ${address}`.length)}` : f.message;
  return { ...f, path: formatPosition(place), message: said !== undefined ? named.replace(said, `line ${place.line} of ${place.file}`) : named };
}
