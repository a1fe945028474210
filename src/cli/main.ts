import { Command, CommanderError, type Option } from 'commander';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { safeOutput } from './output.js';
import { safeText } from '../spec/findings.js';
import { failureReport } from './failure-report.js';

/** Exit codes: 0 fine, 1 the fleet has error findings, 2 the spec or the command is wrong. */
export async function main(argv: string[], rawIo: { out: (s: string) => void; err: (s: string) => void } = defaultIo()): Promise<number> {
  // Every line printed is made safe last (src/cli/output.ts): no credential, no terminal escape.
  const io = { out: (s: string) => rawIo.out(safeOutput(s)), err: (s: string) => rawIo.err(safeOutput(s)) };
  // A CLI process parses one spec: zod's JIT (a parser compiled with `new Function` for every object
  // schema on its first use) costs ~9 ms of a ~250 ms start and saves nothing measurable even at
  // 1,000 runners (BENCHMARKS.md). The library leaves zod's setting alone.
  z.config({ jitless: true });
  let code = 0;
  const program = new Command('runner-fleet')
    .description('GitLab runner fleets on AWS and Azure with keyless identity, verified before anything is applied.')
    .version(version(), '-V, --version')
    .exitOverride()
    // Commander echoes unknown options with their values: io redacts a token pasted there.
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showSuggestionAfterError(true);

  program
    .command('plan')
    .description('check a fleet spec, prove its identity chain and print the findings')
    .argument('<spec>', 'fleet spec (.yaml, .yml, .json, or a .js/.mjs module exporting it as default)')
    .option('--json', 'print a JSON report for machines')
    .option('--show-resolved', 'print the spec with every default applied and every derived name')
    .action(async (spec: string, opts: { json?: boolean; showResolved?: boolean }) => {
      const { planCommand } = await import('./plan.js');
      code = await planCommand(spec, opts, io);
    });

  program
    .command('synth')
    .description('generate Terraform, Kubernetes manifests, Helm values, config.toml, smoke pipelines and a diagram')
    .argument('<spec>', 'fleet spec')
    .requiredOption('-o, --out <dir>', 'output directory')
    .option('--json', 'print a JSON report for machines')
    .option('--azure-outputs <file>', '`terraform output -json` of terraform/azure: renders plain AKS manifests and smoke tests with the real client ids')
    .action(async (spec: string, opts: { out: string; json?: boolean; azureOutputs?: string }) => {
      const { synthCommand } = await import('./synth.js');
      code = await synthCommand(spec, opts, io);
    });

  // Operations through the GitLab API (src/cli/ops.ts; live clients load only when used).
  const ops: { name: 'status' | 'register' | 'rotate' | 'drain' | 'resume' | 'prune' | 'unregister'; about: string }[] = [
    { name: 'status', about: 'show each runner in GitLab: registered, online, paused, jobs, managers, drift from the spec, and phantoms (exit 1 on drift or phantoms)' },
    { name: 'register', about: 'create missing runners (POST /user/runners), store their tokens, repair lost tokens, correct drift' },
    { name: 'rotate', about: "reset runner tokens, store the new ones and restart the managers" },
    { name: 'drain', about: 'pause a runner and wait until no job runs on it' },
    { name: 'resume', about: 'undo drain' },
    { name: 'prune', about: "delete phantom runners: they carry this fleet's marker but are not in the spec" },
    { name: 'unregister', about: "delete a runner from GitLab and empty its token store" },
  ];
  for (const op of ops) {
    const c = program
      .command(op.name)
      .description(op.about)
      .argument('<spec>', 'fleet spec')
      .option('--json', 'print a JSON report (schema/ops-report.schema.json); progress goes to stderr')
      .option('--token-stdin', 'read the GitLab access token from stdin (else RUNNER_FLEET_GITLAB_TOKEN or GITLAB_TOKEN)')
      .option('--ca-file <pem>', 'CA bundle for a self-hosted GitLab (HTTPS_PROXY, HTTP_PROXY and NO_PROXY are honoured too)')
      .option('--kube-api <cluster=url>', 'Kubernetes API of a cluster: devops=http://127.0.0.1:8001 from `kubectl proxy`, devops=eks:<name>@<region> or ci=aks:<name>@<resourceGroup> with the cloud credentials in effect (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
      .option('--kube-ca-file <cluster=pem>', "CA certificate (PEM) of the API server an https:// --kube-api names, like kubectl's --certificate-authority: devops=/path/ca.crt (repeatable, one per cluster; --ca-file is GitLab's only)", (v: string, prev: string[] = []) => [...prev, v])
      .option('--kube-token-file <cluster=file>', "file holding the bearer token for the API server an https:// --kube-api names (kubectl create token …, or /var/run/secrets/kubernetes.io/serviceaccount/token in a pod): devops=/path/token (repeatable, one per cluster; read again for every request; never the token itself)", (v: string, prev: string[] = []) => [...prev, v]);
    if (op.name !== 'status') c.option('--approve', 'act on the plan (without it, only the plan is printed)');
    if (op.name === 'status') c.option('--no-managers', 'skip GET /runners/:id/managers (one call per registered runner)').option('--no-stores', 'do not read the token stores of API-registered runners (Secret, SSM parameter, Key Vault secret)').option('--verify-tokens', 'ask GitLab (POST /runners/verify) whose each stored token is, whether it works and when it expires; GitLab counts this as a contact of the runner (online for 2 h, a manager named runner-fleet-verify)');
    if (['register', 'rotate', 'drain', 'resume', 'unregister', 'status'].includes(op.name)) c.option('--runner <name>', 'only this runner');
    if (op.name === 'rotate') c.option('--if-expiring-within <duration>', 'only tokens that expire within this time, e.g. 7d (0s to 3650d)').option('--wait <duration>', 'how long to wait for the restarted managers, all together, to come back online (default 5m; 0s: do not wait; at most 24h)');
    if (op.name === 'drain') c.option('--timeout <duration>', "how long to wait for running jobs, 0s to 30d (default: the runner's maximum timeout, else 1h)");
    c.action(async (spec: string, opts: Record<string, unknown>) => {
      const { opsCommand } = await import('./ops.js');
      code = await opsCommand(op.name, spec, opts, io);
    });
  }

  program
    .command('doctor')
    .description('prove or refute the identity chain of runners you wired yourself, from their files')
    .argument('[paths...]', 'files or folders: Kubernetes YAML/JSON, gitlab-runner Helm values and helm commands, kustomizations, config.toml, IAM policy JSON or `aws iam` output, Terraform .tf / .tf.json / .tfvars or `terraform show -json`, Argo CD and Flux objects, Ansible playbooks and roles, shell scripts, Makefiles, CI files and .env files (a folder is walked for all of them)')
    .option('--format <format>', 'text, json, sarif or codequality', 'text')
    .option('--output <file>', 'write the report to this file (text still goes to stderr for other formats)')
    .option('--kube-dump <file>', 'output of `kubectl get serviceaccounts,roles,rolebindings,clusterroles,clusterrolebindings,deployments,statefulsets,daemonsets,configmaps -A -o json`')
    .option('--aws', 'also read, read-only, the IAM roles, OIDC providers, pod identity associations and access entries the files name')
    .option('--region <region>', 'with --aws: the region of the EKS clusters (default: the AWS SDK default chain)')
    .option('--profile <profile>', 'with --aws: the AWS profile to read with (default: the AWS SDK default chain)')
    .option('--eks-cluster <name>', 'with --aws: an EKS cluster to read associations and access entries of (repeatable; clusters named in Terraform are read anyway)', (v: string, acc: string[] = []) => [...acc, v])
    .action(async (paths: string[], opts: { format?: string; output?: string; kubeDump?: string; aws?: boolean; region?: string; profile?: string; eksCluster?: string[] }) => {
      const { doctorCommand } = await import('./doctor.js');
      code = await doctorCommand(paths, opts, io, version());
    });

  program
    .command('schema')
    .description('print the JSON Schema of the fleet spec')
    .action(async () => {
      const { schemaJson } = await import('../spec/json-schema.js');
      io.out(`${JSON.stringify(schemaJson(), null, 2)}\n`);
    });

  refuseRepeatedOptions(program);

  if (argv.length === 0) {
    // No command is a wrong command line (exit 2), with the usage to say what is possible.
    io.err(program.helpInformation());
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      commandLineFailure(argv, e, io);
      return 2;
    }
    const message = `internal error: ${e instanceof Error ? e.message : String(e)}`;
    io.err(`runner-fleet: ${message}\nPlease report this with the spec that caused it.\n`);
    jsonFailure(argv, 70, message, io);
    return 70;
  }
  return code;
}

function defaultIo() {
  return { out: (s: string) => void process.stdout.write(s), err: (s: string) => void process.stderr.write(s) };
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return '0.0.0';
  }
}

const OPS = new Set(['status', 'register', 'rotate', 'drain', 'resume', 'prune', 'unregister']);

/**
 * A single-valued option given twice (`synth --out a --out b`) is a wrong command line (exit 2,
 * naming the option and both values), never the last one silently: set once here for every
 * command's options that take one value and have no parser of their own (the repeatable ones,
 * `--kube-api` and `--eks-cluster`, collect their values with one).
 */
function refuseRepeatedOptions(program: Command): void {
  for (const cmd of [program, ...program.commands]) {
    for (const opt of cmd.options as (Option & { parseArg?: unknown })[]) {
      if (!(opt.required || opt.optional) || opt.variadic || opt.parseArg !== undefined) continue;
      const key = opt.attributeName();
      opt.argParser((value: string, previous: unknown) => {
        if (cmd.getOptionValueSource(key) === 'cli') {
          const shown = (v: unknown) => JSON.stringify(safeText(String(v), 120));
          cmd.error(`error: ${opt.long ?? opt.flags} was given twice (${shown(previous)}, then ${shown(value)}); it takes one value: give it once`, { exitCode: 2, code: 'runner-fleet.optionRepeated' });
        }
        return value;
      });
    }
  }
}

/**
 * After a command line Commander refused (its message is already on stderr): the hint between
 * `--json` (plan, synth, the operations) and `--format json` (doctor), and, when JSON was asked
 * for, one JSON document on stdout in the shape of that command's report, with the error.
 */
function commandLineFailure(argv: string[], e: CommanderError, io: { out: (s: string) => void; err: (s: string) => void }): void {
  const sub = argv.find((a) => !a.startsWith('-'));
  const unknown = e.code === 'commander.unknownOption' ? /'([^']*)'/.exec(e.message)?.[1] : undefined;
  if (sub === 'doctor' && unknown === '--json') io.err('hint: doctor takes --format json (or sarif, codequality) for a report for machines\n');
  if (sub !== undefined && sub !== 'doctor' && (unknown === '--format' || unknown?.startsWith('--format=')) && ['plan', 'synth', ...OPS].includes(sub)) io.err(`hint: ${sub} takes --json for a report for machines (--format is the doctor's)\n`);
  // The operations commands plan by default and act only with --approve: the flags other tools use for either are hinted at.
  if (sub !== undefined && OPS.has(sub) && unknown !== undefined) {
    const flag = unknown.replace(/=.*$/, '');
    if (flag === '--dry-run') io.err(sub === 'status' ? 'hint: status only reads; it changes nothing (there is no --dry-run)\n' : `hint: without --approve, ${sub} prints its plan and changes nothing: that is the dry run (there is no --dry-run)\n`);
    if (['--yes', '-y', '--force', '--apply', '--auto-approve'].includes(flag)) io.err(sub === 'status' ? 'hint: status only reads; there is nothing to approve\n' : `hint: ${sub} acts on its plan with --approve (without it, it prints the plan and changes nothing)\n`);
  }
  jsonFailure(argv, 2, e.message.replace(/^error:\s*/, '').trim(), io);
}

/** When JSON was asked for: one document on stdout in the shape of the command's report, with the error. */
function jsonFailure(argv: string[], exitCode: 2 | 70, message: string, io: { out: (s: string) => void }): void {
  const sub = argv.find((a) => !a.startsWith('-'));
  const formats = argv.flatMap((a, i) => (a.startsWith('--format=') ? [a.slice('--format='.length)] : a === '--format' && argv[i + 1] !== undefined ? [argv[i + 1]!] : []));
  const formatJson = formats.includes('json');
  const error = safeText(message, 2000);
  // doctor --format sarif|codequality: a valid report saying the doctor did not run, on stdout (never
  // to --output: this command line was not understood, so neither is which file may be written).
  const machine = sub === 'doctor' && !formatJson && formats.length > 0 && formats.every((f) => f === formats[0]) ? formats[0] : undefined;
  if (machine === 'sarif' || machine === 'codequality') {
    io.out(failureReport(machine, error, exitCode, version()));
    return;
  }
  if (!argv.includes('--json') && !formatJson) return;
  let report: Record<string, unknown> | undefined;
  if (sub === 'plan') report = { exitCode, error, findings: [], proofs: [] };
  else if (sub === 'synth') report = { exitCode, error, findings: [], proofs: [], written: [] };
  else if (sub === 'doctor') report = { exitCode, error, files: [], chains: {}, findings: [], proofs: [] };
  else if (sub !== undefined && OPS.has(sub)) report = { command: sub, approved: false, error, ...(exitCode === 2 ? { failedAt: 'input' } : {}), apiCalls: 0, exitCode };
  if (report) io.out(`${JSON.stringify(report, null, 2)}\n`);
}
