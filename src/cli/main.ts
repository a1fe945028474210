import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';

/** Exit codes: 0 fine, 1 the fleet has error findings, 2 the spec or the command is wrong. */
export async function main(argv: string[], io: { out: (s: string) => void; err: (s: string) => void } = defaultIo()): Promise<number> {
  let code = 0;
  const program = new Command('runner-fleet')
    .description('GitLab runner fleets on AWS and Azure with keyless identity, verified before anything is applied.')
    .version(version(), '-V, --version')
    .exitOverride()
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

  program
    .command('doctor')
    .description('prove or refute the identity chain of runners you wired yourself, from their files')
    .argument('[paths...]', 'files or folders: Kubernetes YAML/JSON, gitlab-runner Helm values, config.toml, IAM policy JSON or `aws iam` output, Terraform .tf.json or `terraform show -json`')
    .option('--format <format>', 'text, json, sarif or codequality', 'text')
    .option('--output <file>', 'write the report to this file (text still goes to stderr for other formats)')
    .option('--kube-dump <file>', 'output of `kubectl get serviceaccounts,roles,rolebindings,clusterroles,clusterrolebindings,deployments,configmaps -A -o json`')
    .option('--aws', 'read the named roles live (read-only); not available yet')
    .action(async (paths: string[], opts: { format?: string; output?: string; kubeDump?: string; aws?: boolean }) => {
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

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    io.err(`runner-fleet: internal error: ${e instanceof Error ? e.message : String(e)}\nPlease report this with the spec that caused it.\n`);
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
