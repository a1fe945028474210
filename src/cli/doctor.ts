import { writeFile } from 'node:fs/promises';
import { walkFiles } from '../io/walk.js';
import { MAX_FILE_BYTES } from '../doctor/read.js';
import { doctor, type DoctorResult } from '../doctor/index.js';
import { DOCTOR_FORMATS, codeQualityReport, jsonDoctorReport, sarifReport, textDoctorReport, type DoctorFormat } from '../doctor/format.js';

export interface DoctorOptions {
  format?: string;
  output?: string;
  kubeDump?: string;
  aws?: boolean;
}

type Io = { out: (s: string) => void; err: (s: string) => void };

/** `runner-fleet doctor [PATH...]`: exit 0 fine, 1 error findings, 2 the command is wrong. */
export async function doctorCommand(paths: string[], opts: DoctorOptions, io: Io, version: string): Promise<number> {
  const format = (opts.format ?? 'text') as DoctorFormat;
  if (!DOCTOR_FORMATS.includes(format)) {
    io.err(`runner-fleet doctor: --format ${opts.format ?? ''} is not one of ${DOCTOR_FORMATS.join(', ')}\n`);
    return 2;
  }
  if (opts.aws) {
    io.err('runner-fleet doctor: --aws (live read-only IAM/EKS reads) is not available in this version; give `aws iam get-role` output as files instead\n');
    return 2;
  }
  const inputs = [...(paths.length > 0 ? paths : ['.']), ...(opts.kubeDump ? [opts.kubeDump] : [])];
  const { files, problems } = await walkFiles(inputs, MAX_FILE_BYTES);
  if (problems.length > 0) {
    for (const p of problems) io.err(`runner-fleet doctor: ${p.path}: ${p.reason}\n`);
    return 2;
  }
  const result: DoctorResult = doctor(files);
  const text = format === 'json' ? jsonDoctorReport(result) : format === 'sarif' ? sarifReport(result, version) : format === 'codequality' ? codeQualityReport(result) : textDoctorReport(result);
  if (opts.output) {
    await writeFile(opts.output, text);
    if (format !== 'text') io.err(textDoctorReport(result));
  } else io.out(text);
  return result.exitCode;
}
