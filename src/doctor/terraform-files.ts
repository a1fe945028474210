/**
 * Terraform and OpenTofu files by name: the one place the doctor, the reader and the CLI tell them
 * (the folder walk's extensions are io/file-names.ts', below the doctor). Pure (names only).
 *
 * OpenTofu reads `.tofu` and `.tofu.json` files exactly as `.tf` and `.tf.json` ("File Extension",
 * https://opentofu.org/docs/language/files/), and where a folder holds both `foo.tofu` and `foo.tf`
 * it reads only `foo.tofu` ("Extension Precedence", same page); likewise `foo.tofu.json` hides
 * `foo.tf.json` (https://opentofu.org/docs/language/files/override/, and the loader's
 * filterTfPathsWithTofuAlternatives in opentofu internal/configs/parser_config_dir.go: only the
 * same name with `.tf` → `.tofu`, so `foo.tofu` does not hide `foo.tf.json`). Variable definitions
 * files stay `.tfvars` / `.tfvars.json`: the `.tofuvars` of the "specific code override" RFC is not
 * in OpenTofu's documentation, so the doctor does not read it either (a walk names it, RF902).
 */

export type TerraformFileKind =
  /** HCL configuration: `.tf`, `.tofu`. */
  | 'config'
  /** JSON configuration: `.tf.json`, `.tofu.json`. */
  | 'config-json'
  /** A variable definitions file in HCL: `.tfvars`. */
  | 'vars'
  /** A variable definitions file in JSON: `.tfvars.json`. */
  | 'vars-json';

/** What a file name says it is to Terraform or OpenTofu; undefined: neither reads it as configuration or variables. */
export function terraformFileKind(path: string): TerraformFileKind | undefined {
  if (/\.(tf|tofu)$/i.test(path)) return 'config';
  if (/\.(tf|tofu)\.json$/i.test(path)) return 'config-json';
  if (/\.tfvars$/i.test(path)) return 'vars';
  if (/\.tfvars\.json$/i.test(path)) return 'vars-json';
  return undefined;
}

/** A configuration file (`.tf`, `.tf.json`, `.tofu`, `.tofu.json`): one of a module's files. */
export function isTerraformConfig(path: string): boolean {
  const kind = terraformFileKind(path);
  return kind === 'config' || kind === 'config-json';
}

/**
 * The `.tf` / `.tf.json` files among `paths` that OpenTofu does not read because the same folder
 * has the `.tofu` / `.tofu.json` file of the same name: hidden path → the path read instead.
 * Linear: one set of the paths, one look-up per file.
 */
export function hiddenByTofu(paths: readonly string[]): Map<string, string> {
  const have = new Set(paths);
  const out = new Map<string, string>();
  for (const p of paths) {
    const m = /^(.*)\.tf(\.json)?$/.exec(p);
    if (!m) continue;
    const tofu = `${m[1]!}.tofu${m[2] ?? ''}`;
    if (have.has(tofu)) out.set(p, tofu);
  }
  return out;
}
