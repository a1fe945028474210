/**
 * What a file's name says it is, for the folder walk (which files it reads) and the doctor's reader
 * (how it reads them): names only, no I/O, so both layers can import it and the walk imports
 * nothing of the doctor's.
 */

/** The extensions a folder walk reads for Terraform and OpenTofu (configuration `.tf`/`.tofu`, and `.tfvars`; their `.json` forms are JSON). */
export const TERRAFORM_EXTENSIONS = ['tf', 'tofu', 'tfvars'] as const;

/**
 * A Terraform or OpenTofu state file as the local backend writes it: `terraform.tfstate` (or any
 * `*.tfstate`, `-state=PATH`), its `terraform.tfstate.backup`, and the timestamped backups
 * `terraform state` subcommands leave (`terraform.tfstate.1700000000.backup`). Workspaces of the
 * local backend keep theirs under `terraform.tfstate.d/<workspace>/terraform.tfstate`, which this
 * matches too. `.terraform/terraform.tfstate` is not state but the backend's settings: the one file of
 * `.terraform` a walk reads (the reader scans it for the backend's credentials only).
 */
/**
 * An env file (`.env`, `runner.env`): `KEY=value` lines a compose service's `env_file:` or a systemd
 * unit's `EnvironmentFile=` hands a process. Read for credentials only (a `CI_SERVER_TOKEN=glrt-…`
 * in it is a leak), and by a walk too, dotfile as `.env` is. Its committed templates too
 * (`.env.example`, `.env.sample`, `.env.template`, `runner.env.example`): a repository keeps them
 * while it ignores the `.env` made from them, so a real token copied back into one is committed.
 */
export function isEnvFileName(path: string): boolean {
  return /(?:^|[\\/])[^\\/]*\.env(?:\.(?:example|sample|template))?$/i.test(path);
}

/**
 * A committed template of a variable definitions file (`terraform.tfvars.example`, `.sample`,
 * `.template`, and the same after `.tfvars.json`): Terraform never loads it (VarFiles takes
 * `terraform.tfvars` and `*.auto.tfvars`), so it sets no variable, but a repository keeps it while
 * it ignores the `.tfvars` made from it, and a real token copied back into one is committed. Read for
 * credentials only, by a walk too.
 */
export function isVarsTemplateName(path: string): boolean {
  return /\.tfvars(?:\.json)?\.(?:example|sample|template)$/i.test(path);
}

/**
 * An example copy of a config.toml (`config.toml.example`, `.sample`, `.dist`): a repository keeps it
 * to show what to write, and no runner reads it unless a deploy step copies it into place. Read for
 * credentials only (a real token pasted into one is committed), by a walk too, unless another file of
 * the deployment names it (src/doctor/index.ts). A `.toml` whose name says example
 * (`docker_machine_example.toml`) is read as a config.toml still: tools load such files as they are
 * (a CDK app's `config_file`, in a language the doctor does not read), so it may well be deployed.
 */
export function isConfigTomlExampleName(path: string): boolean {
  return /\.toml\.(?:example|sample|dist)$/i.test(path);
}

/**
 * A config.toml written as a Jinja template (`config.toml.j2`, `runner.toml.jinja2`: an Ansible role's
 * `template:` source): read for what is written outside its markup (src/doctor/jinja-toml.ts).
 */
export function isJinjaTomlName(path: string): boolean {
  return /\.toml\.(?:j2|jinja2?)$/i.test(path);
}

/**
 * A Makefile (`Makefile`, `makefile`, `GNUmakefile`, GNU make's default names, and `*.mk` includes):
 * its recipes are shell commands a deployment runs (`kubectl create serviceaccount …`, `helm install`,
 * `gitlab-runner register`), read as text as a shell script is, by a walk too.
 */
export function isMakefileName(path: string): boolean {
  return /(?:^|[\\/])(?:GNUmakefile|[Mm]akefile|[^\\/]+\.mk)$/.test(path);
}

export function isTerraformStateName(path: string): boolean {
  return /\.tfstate(?:\.[^\\/]*)?\.backup$|\.tfstate$/i.test(path);
}
