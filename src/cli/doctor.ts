import { lstat, readdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { walkFiles, type WalkedFile } from '../io/walk.js';
import { readKustomizeResources } from '../io/kustomize-resources.js';
import { calledModuleFolders, moduleFileReferences, workingDirFileReferences } from '../doctor/hcl/read.js';
import { parseManifest, underDotTerraform } from '../doctor/hcl/installed-modules.js';
import { MAX_FILE_BYTES } from '../doctor/read.js';
import { doctor, doctorWithAws, type DoctorResult } from '../doctor/index.js';
import { failureReport } from './failure-report.js';
import { DOCTOR_FORMATS, codeQualityReport, jsonDoctorReport, sarifReport, textDoctorReport, type DoctorFormat } from '../doctor/format.js';
import { errnoReason } from '../io/errno.js';
import { isTerraformConfig } from '../doctor/terraform-files.js';
import { configTomlTemplates } from '../doctor/ansible-template.js';
import { normalPath } from '../doctor/hcl/eval.js';

export interface DoctorOptions {
  format?: string;
  output?: string;
  kubeDump?: string;
  aws?: boolean;
  region?: string;
  profile?: string;
  eksCluster?: string[];
}

type Io = { out: (s: string) => void; err: (s: string) => void };

/** `runner-fleet doctor [PATH...]`: exit 0 fine, 1 error findings, 2 the command is wrong. */
export async function doctorCommand(paths: string[], opts: DoctorOptions, io: Io, version: string): Promise<number> {
  const format = (opts.format ?? 'text') as DoctorFormat;
  if (!DOCTOR_FORMATS.includes(format)) {
    io.err(`runner-fleet doctor: --format ${opts.format ?? ''} is not one of ${DOCTOR_FORMATS.join(', ')}\n`);
    return 2;
  }
  // A wrong command is exit 2 with the reason on stderr; with --format json, stdout gets one JSON
  // report too (the shape of a finished one: no files, no findings, and `error`). SARIF and Code
  // Quality get a valid report that says the doctor could not run, where the report would have
  // gone (--output, unless --output itself is the problem), so a CI upload never meets an empty file.
  const fail = async (lines: string[], outputUsable = true) => {
    for (const l of lines) io.err(`runner-fleet doctor${l}\n`);
    const error = lines.map((l) => l.replace(/^:\s*|^\s+/, '')).join('\n');
    if (format === 'json') io.out(`${JSON.stringify({ exitCode: 2, error, files: [], chains: {}, findings: [], proofs: [] }, null, 2)}\n`);
    if (format === 'sarif' || format === 'codequality') {
      const report = failureReport(format, error, 2, version);
      const written = opts.output !== undefined && outputUsable ? await writeFile(opts.output, report).then(() => true, () => false) : false;
      if (!written) io.out(report);
    }
    return 2;
  };
  if (!opts.aws && (opts.region !== undefined || opts.profile !== undefined || opts.eksCluster !== undefined)) {
    return await fail([': --region, --profile and --eks-cluster are for --aws; add --aws to read AWS live']);
  }
  // `-` is no file here (the doctor reads files and folders); when no file is called `-`, say how standard input is read.
  if ([...paths, opts.kubeDump].includes('-') && !(await lstat('-').then(() => true, () => false))) {
    return await fail([': -: no such file or folder; the doctor does not take `-` for standard input: name /dev/stdin to read it (`kubectl get … -o json | runner-fleet doctor --kube-dump /dev/stdin`, `runner-fleet doctor /dev/stdin < values.yaml`)']);
  }
  const inputs = [...(paths.length > 0 ? paths : ['.']), ...(opts.kubeDump ? [opts.kubeDump] : [])];
  const { files, problems } = await walkFiles(inputs, MAX_FILE_BYTES);
  if (problems.length > 0) return await fail(problems.map((p) => `: ${p.path}: ${p.reason}`));
  files.push(...(await readCalledModules(files)));
  files.push(...(await readKustomizeResources(files, MAX_FILE_BYTES)));
  files.push(...(await readConfigTomlTemplates(files)));
  // The report must not replace evidence it was made from (`doctor deploy/ --output deploy/main.tf`).
  if (opts.output) {
    const target = await realpath(opts.output).catch(() => resolve(opts.output!));
    const name = basename(target);
    for (const f of files) {
      if (basename(f.path) !== name) continue;
      if ((await realpath(f.path).catch(() => resolve(f.path))) === target) {
        return await fail([`: --output ${opts.output} is one of the files read (${f.path}); writing the report there would replace it: choose another file`], false);
      }
    }
  }
  let result: DoctorResult;
  if (opts.aws) {
    // The AWS SDK is loaded only here.
    const { awsReadClient } = await import('../live/aws-read.js');
    const port = awsReadClient({ ...(opts.region ? { region: opts.region } : {}), ...(opts.profile ? { profile: opts.profile } : {}) });
    try {
      result = await doctorWithAws(files, port, { ...(opts.eksCluster ? { clusters: opts.eksCluster } : {}), ...(opts.region ? { region: opts.region } : {}) });
    } catch (e) {
      // No credentials, no region: the command cannot run as asked.
      return await fail([` --aws: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]!}`]);
    }
  } else result = doctor(files);
  const text = format === 'json' ? jsonDoctorReport(result) : format === 'sarif' ? sarifReport(result, version) : format === 'codequality' ? codeQualityReport(result) : textDoctorReport(result);
  if (opts.output) {
    try {
      await writeFile(opts.output, text);
    } catch (e) {
      return await fail([`: cannot write the report to --output ${opts.output}: ${errnoReason(e, { ENOENT: 'its folder does not exist' })}`], false);
    }
    if (format !== 'text') io.err(textDoctorReport(result));
  } else io.out(text);
  return result.exitCode;
}

/**
 * The Terraform files (`*.tf`, `*.tf.json`, not sub-folders: a module is one folder) of local
 * modules the given files call from folders not given, then the modules those call, at most 16
 * rounds and 200 folders, and the files those modules read from their own folder with a static
 * path (`templatefile("${path.module}/…")`, at most 200). A folder or file that cannot be read is
 * left out: the doctor then says the module or file is not in the evidence given (RF903).
 */
async function readCalledModules(given: readonly WalkedFile[]): Promise<WalkedFile[]> {
  const out: WalkedFile[] = [];
  const tried = new Set<string>();
  const text = (f: WalkedFile) => ({ path: f.path, text: isTerraformConfig(f.path) ? new TextDecoder().decode(f.bytes) : '' });
  const readTerraformFolder = async (dir: string): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => isTerraformConfig(n)).sort();
    } catch {
      return;
    }
    for (const n of names) {
      try {
        // Regular files only, by their size before reading: a pipe named main.tf would block the
        // read for ever, and a huge file would be held whole only to be dropped.
        const info = await stat(join(dir, n));
        if (!info.isFile() || info.size > MAX_FILE_BYTES) continue;
        const bytes = await readFile(join(dir, n));
        out.push({ path: join(dir, n), bytes, size: bytes.byteLength });
      } catch {
        // unreadable: left out, the module is then not in the evidence given
      }
    }
  };
  // The modules `terraform init` installed for a folder of Terraform given (its .terraform/modules,
  // which a folder walk never enters): its manifest, and the Terraform files of every registry or git
  // module it lists. The evaluator follows a call into them by the call's key (installed-modules.ts).
  const roots = [...new Set(given.filter((f) => isTerraformConfig(f.path) && !underDotTerraform(f.path)).map((f) => dirname(f.path)))].sort();
  for (const root of roots) {
    const manifest = join(root, '.terraform', 'modules', 'modules.json');
    let bytes: Uint8Array;
    try {
      const info = await stat(manifest);
      if (!info.isFile() || info.size > MAX_FILE_BYTES) continue;
      bytes = await readFile(manifest);
    } catch {
      continue;
    }
    out.push({ path: manifest, bytes, size: bytes.byteLength });
    const entries = parseManifest(new TextDecoder().decode(bytes), (dir) => join(root, dir));
    if (typeof entries === 'string') continue;
    for (const m of entries.values()) {
      if (!underDotTerraform(m.dir) || tried.has(resolve(m.dir)) || tried.size >= 200) continue;
      tried.add(resolve(m.dir));
      await readTerraformFolder(m.dir);
    }
  }
  let known = [...given, ...out].map(text);
  for (let round = 0; round < 16 && tried.size < 200; round++) {
    const next = calledModuleFolders(known).filter((d) => !tried.has(d));
    if (next.length === 0) break;
    for (const dir of next.slice(0, 200 - tried.size)) {
      tried.add(dir);
      await readTerraformFolder(dir);
    }
    known = [...given, ...out].map(text);
  }
  // What the Terraform files read from their module's folder (templatefile("${path.module}/template/…"),
  // file("${path.module}/files/keys")): a followed module without its templates would be half read, and a
  // folder walk reads only the extensions deployment files have. Only files inside the folder of a
  // Terraform file given or followed are read: configuration cannot point the doctor elsewhere.
  const have = new Set([...given, ...out].filter((f) => f.notRead !== true).map((f) => f.path));
  const terraform = [...given, ...out].filter((f) => isTerraformConfig(f.path));
  const folders = [...new Set(terraform.map((f) => resolve(dirname(f.path))))];
  const inside = (path: string) => folders.some((d) => resolve(path).startsWith(d.endsWith(sep) ? d : `${d}${sep}`));
  // Then those it reads from the working directory (templatefile("templates/user_data.tmpl", …)), taken from each folder.
  for (const path of [...moduleFileReferences(terraform.map(text)).slice(0, 200), ...workingDirFileReferences(terraform.map(text)).slice(0, 200)]) {
    if (have.has(path) || !inside(path)) continue;
    try {
      const info = await stat(path);
      if (!info.isFile() || info.size > MAX_FILE_BYTES) continue;
      const bytes = await readFile(path);
      out.push({ path, bytes, size: bytes.byteLength });
    } catch {
      // not there: the doctor then says the file is not in the evidence given (RF903)
    }
  }
  return out;
}

/**
 * The templates an Ansible `template:` task of the YAML files given renders onto a config.toml
 * (ansible-template.ts) that a folder walk found but did not read (`config.j2`, `runner.j2`):
 * read now, with their bytes, so the doctor reads them as the config.toml they render.
 */
async function readConfigTomlTemplates(given: readonly WalkedFile[]): Promise<WalkedFile[]> {
  const yaml = given.filter((f) => f.notRead !== true && f.unreadable === undefined && /\.ya?ml$/i.test(f.path));
  if (yaml.length === 0 || !given.some((f) => f.notRead === true)) return [];
  const wanted = configTomlTemplates(yaml.map((f) => ({ path: normalPath(f.path), text: new TextDecoder().decode(f.bytes) })), new Set(given.map((f) => normalPath(f.path))));
  const out: WalkedFile[] = [];
  for (const f of given) {
    if (f.notRead !== true || !wanted.has(normalPath(f.path))) continue;
    try {
      const info = await stat(f.path);
      if (!info.isFile() || info.size > MAX_FILE_BYTES) continue;
      const bytes = await readFile(f.path);
      out.push({ path: f.path, bytes, size: bytes.byteLength });
    } catch {
      // gone since the walk: it stays among the files not read
    }
  }
  return out;
}
