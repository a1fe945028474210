import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoReason } from './errno.js';
import { readAtMost } from './read-at-most.js';
import { TERRAFORM_EXTENSIONS, isEnvFileName, isTerraformStateName } from './file-names.js';

/**
 * Folders never walked into: version control, packages, Terraform's and terragrunt's downloaded
 * copies of modules and providers (read again, they would be deployments of their own), and
 * editors' settings (JSON with comments, never deployment files). A Helm chart's `templates`
 * folder (beside its Chart.yaml) holds Go templates, which are YAML only once Helm renders them:
 * not walked either (the chart's values.yaml is). Of `.terraform` one file is read: the backend
 * settings `terraform init` keeps in `.terraform/terraform.tfstate` (credentials only).
 */
const SKIP_DIRS = new Set(['.git', 'node_modules', '.terraform', '.terragrunt-cache', '.vscode', '.idea', '.devcontainer']);
/** Extensions the doctor reads when walking a folder (a file named on the command line is always read). */
const WALKED_EXTENSION = new RegExp(`\\.(ya?ml|json|toml|${TERRAFORM_EXTENSIONS.join('|')}|sh|tftpl|tpl)$`, 'i');
/** Files a walk reads: by extension, Terraform state files (their secrets in plain text are a finding of their own), and env files (`.env` and its templates `.env.example`…: their credentials). */
const readsFile = (path: string): boolean => WALKED_EXTENSION.test(path) || isTerraformStateName(path) || isEnvFileName(path);
/**
 * Files a walk does not read whose names say they are part of a deployment: Terragrunt and other
 * HCL (not Terraform's lock file or tests), `.tofuvars` (OpenTofu does not load
 * them), image builds, templates of other engines and PowerShell user data. The doctor
 * names them once (RF902) rather than dropping them in silence. Anything else a folder holds
 * (images, binaries, documentation, source code) is left out silently.
 */
const LOOKS_DEPLOYED = /(?:^|[\\/])(?:Dockerfile|Containerfile|[^\\/]*\.(?:hcl|tofuvars|j2|jinja2?|tmpl|gotmpl|ps1))$/i;
// Terraform's lock file, its tests, and linter settings (TFLint's .tflint.hcl) deploy nothing.
const NOT_DEPLOYED = /(?:^|[\\/])(?:\.terraform\.lock|\.tflint)\.hcl$|\.(?:tftest|tofutest)\.hcl$/i;

export interface WalkedFile {
  path: string;
  /** Empty when the file is over the size limit (then only `size` is known). */
  bytes: Uint8Array;
  size: number;
  /** Set when `size` is only a lower bound: a pipe or device read up to the limit and cut there. */
  cut?: true;
  /** Set for an entry found inside a folder that cannot be read (a dangling link, a loop of links). */
  unreadable?: string;
  /** Set for a file found inside a folder that looks like part of a deployment but is of a kind the doctor does not read: not read (`bytes` empty). */
  notRead?: true;
}

export interface WalkProblem {
  path: string;
  reason: string;
}

/**
 * Reads the files under the given paths (files or folders, walked in name order). Files over
 * `maxBytes` are not read whole: their first bytes and real size are returned so the doctor can
 * say why it skipped them, and nothing huge is ever held in memory.
 *
 * A path named on the command line that cannot be read is a problem (the command cannot run as
 * asked). An entry found inside a folder that cannot be read (a dangling link) is returned with
 * `unreadable` and skipped; a folder reached again through a symbolic link is walked only once.
 */
export async function walkFiles(paths: readonly string[], maxBytes: number): Promise<{ files: WalkedFile[]; problems: WalkProblem[] }> {
  const files: WalkedFile[] = [];
  const problems: WalkProblem[] = [];
  const walked = new Set<string>();
  const visit = async (path: string, named: boolean): Promise<void> => {
    let info;
    try {
      info = await stat(path);
    } catch (e) {
      if (named) problems.push({ path, reason: errnoReason(e) });
      else if (readsFile(path)) files.push({ path, bytes: new Uint8Array(0), size: 0, unreadable: errnoReason(e) });
      return;
    }
    if (info.isDirectory()) {
      // Links can lead back into a folder already walked (or above it): each real folder once.
      let real: string;
      let entries: string[];
      try {
        real = await realpath(path);
        entries = (await readdir(path)).sort();
      } catch (e) {
        if (named) problems.push({ path, reason: errnoReason(e) });
        return;
      }
      if (walked.has(real)) return;
      walked.add(real);
      const chart = entries.includes('Chart.yaml');
      for (const e of entries) {
        if (!SKIP_DIRS.has(e) && !(chart && e === 'templates')) await visit(join(path, e), false);
        // Of `.terraform`, only the backend settings `terraform init` keeps (`.terraform/terraform.tfstate`): they can hold the backend's keys (`access_key`).
        else if (e === '.terraform') await visitIfFile(join(path, e, 'terraform.tfstate'));
      }
      return;
    }
    // A pipe or device named on the command line (`--kube-dump /dev/stdin`) is read like a file, up
    // to one byte over the limit, so one that never ends (/dev/zero) is refused by size. Inside a
    // folder only regular files are read.
    if (!info.isFile() && named) {
      try {
        const { bytes, more } = readAtMost(path, maxBytes);
        files.push(more ? { path, bytes: new Uint8Array(0), size: bytes.byteLength, cut: true } : { path, bytes, size: bytes.byteLength });
      } catch (e) {
        problems.push({ path, reason: errnoReason(e) });
      }
      return;
    }
    if (!info.isFile()) return;
    if (!named && !readsFile(path)) {
      if (LOOKS_DEPLOYED.test(path) && !NOT_DEPLOYED.test(path)) files.push({ path, bytes: new Uint8Array(0), size: info.size, notRead: true });
      return;
    }
    if (info.size > maxBytes) {
      // Reported by size without reading: a 50 MB file is skipped, not parsed.
      files.push({ path, bytes: new Uint8Array(0), size: info.size });
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (e) {
      if (named) problems.push({ path, reason: errnoReason(e) });
      else files.push({ path, bytes: new Uint8Array(0), size: 0, unreadable: errnoReason(e) });
      return;
    }
    files.push({ path, bytes, size: bytes.byteLength });
  };
  const visitIfFile = async (path: string): Promise<void> => {
    try {
      if (!(await stat(path)).isFile()) return;
    } catch {
      return;
    }
    await visit(path, false);
  };
  for (const p of paths) await visit(p, true);
  return { files, problems };
}

