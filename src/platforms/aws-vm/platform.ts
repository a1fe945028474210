import { identityOf } from '../../model/types.js';
import type { z } from 'zod';
import type { PlatformPlugin, RunnerEmission, RunnerVerification, SpecCheckContext } from '../types.js';
import type { CloudIdentity, IdentityBinding, IdentityPurpose, ResolvedCluster } from '../../model/types.js';
import type { Finding } from '../../spec/findings.js';
import type { Artifact, TerraformResources } from '../../emit/artifacts.js';
import type { FleetDocuments } from '../../emit/types.js';
import type { FleetIntent, IntentRunner } from '../../verify/intent.js';
import type { PolicyDocument } from '../../verify/iam/types.js';
import { awsFacts } from '../../verify/aws-docs.js';
import { gitlabCreateRunnerRequest } from '../../emit/readme/readme.js';
import {
  ec2Trust,
  ecsTasksTrust,
  instanceProfileSubject,
  names,
  proveTokenAccess,
  verifyComputeDocuments,
  verifyUserDataConfig,
  vmDecoys,
  vmRoleOfRunnerProfile,
  vmRoleOfSubject,
  vmRunnerNames,
  vmSubjects,
  vmWhoCanAssume,
  runnerTokenKey,
  RUNNER_VERSION,
} from './common.js';
import { managerTokenParameter, proveTokenReaders, wideTokenReaderFindings } from './token-readers.js';

/** What differs between the VM platforms; everything else is shared here. */
export interface VmPlatformConfig {
  type: string;
  title: string;
  clusterSchema: z.ZodObject;
  runnerKeys: Record<string, z.ZodType>;
  /** Settings beyond the Kubernetes-only ones that this platform cannot honour. */
  unsupportedRunnerSettings?: readonly string[];
  /** The jobs' own identity, if any. */
  jobsBinding(fleet: FleetIntent, cluster: ResolvedCluster, runner: IntentRunner): IdentityBinding | undefined;
  checkSpec(ctx: SpecCheckContext): Finding[];
  emitRunner(
    fleet: FleetIntent,
    cluster: ResolvedCluster,
    runner: IntentRunner,
    ctx: { runnerExtras: Record<string, unknown>; configToml: (executor: Record<string, unknown>, global?: Record<string, unknown>) => Record<string, unknown> },
  ): RunnerEmission;
  identityCheckJob: PlatformPlugin['identityCheckJob'];
  verifyRunner(docs: FleetDocuments, fleet: FleetIntent, runner: IntentRunner, runnerPath: string): RunnerVerification;
  /** What a job that leaves its container takes over (PlatformPlugin.privilegedJobsTakeOver). */
  privilegedJobsTakeOver?(docs: FleetDocuments, fleet: FleetIntent, runner: IntentRunner): string;
  /** How jobs get (or do not get) cloud credentials, for the README. */
  jobCredentials(fleet: FleetIntent, runner: IntentRunner): string[];
  extraSteps?(fleet: FleetIntent, runners: readonly IntentRunner[]): { title: string; lines: string[] }[];
}

function needsAws(ctx: SpecCheckContext, type: string): Finding[] {
  if (ctx.fleet.aws) return [];
  return [{ code: 'RF004', severity: 'error', path: 'aws', message: `a ${type} cluster needs the aws section (${ctx.clusterPath} is type ${type})`, fix: 'add aws: { accountId: "<12 digits>", region: <region> }' }];
}

/** Runner settings that only mean something to the Kubernetes executor. */
export const KUBERNETES_ONLY_SETTINGS = [
  'pollTimeoutSeconds',
  'jobs.resources',
  'jobs.helperResources',
  'jobs.serviceResources',
  'jobs.nodeSelector',
  'jobs.tolerations',
  'jobs.serviceAccountOverwriteAllowed',
  'manager.nodeSelector',
  'manager.tolerations',
] as const;

export function vmPlatform(c: VmPlatformConfig): PlatformPlugin {
  return {
    type: c.type,
    cloud: 'aws',
    title: c.title,
    kubernetes: false,
    identityMechanisms: { 'instance-profile': 'EC2 instance profile (IMDSv2)', 'task-role': 'ECS task role' },
    cacheTypes: ['s3'],
    clusterSchema: c.clusterSchema,
    runnerKeys: c.runnerKeys,
    unsupportedRunnerSettings: [...KUBERNETES_ONLY_SETTINGS, ...(c.unsupportedRunnerSettings ?? [])],
    subjectNoun: 'instance profiles and task definitions',
    chainClaim: 'every reference resolves: instance profile ↔ manager role ↔ launch template ↔ user data ↔ config.toml',
    // A manager the doctor read from an instance: `managerConfig` names it (`instance ↔ user data ↔ config.toml`).
    chainClaimFor: (managerConfig) => `every reference resolves: instance profile ↔ manager role ↔ ${managerConfig}`,
    ...(c.privilegedJobsTakeOver ? { privilegedJobsTakeOver: (docs: FleetDocuments, fleet: FleetIntent, runner: IntentRunner) => c.privilegedJobsTakeOver!(docs, fleet, runner) } : {}),

    checkSpec(ctx) {
      return [...needsAws(ctx, c.type), ...c.checkSpec(ctx)];
    },

    runnerNames(fleetName, runner) {
      return vmRunnerNames(fleetName, runner);
    },

    bind(fleet, cluster, runner, purpose: IdentityPurpose) {
      if (purpose === 'manager') return { mechanism: 'instance-profile', subject: instanceProfileSubject(fleet, cluster, runner) };
      return c.jobsBinding(fleet, cluster, runner);
    },

    trustPolicy(fleet, _cluster, identity: CloudIdentity): PolicyDocument {
      return identity.binding.mechanism === 'task-role' ? ecsTasksTrust(fleet) : ec2Trust();
    },

    emitRunner(fleet, cluster, runner, ctx) {
      return c.emitRunner(fleet, cluster, runner, ctx);
    },

    emitCluster(): { files: Artifact[]; terraformAws?: TerraformResources } {
      return { files: [] };
    },

    clusterFindings() {
      return [];
    },

    identityCheckJob(fleet, runner, jobIdentity) {
      return c.identityCheckJob(fleet, runner, jobIdentity);
    },

    subjects(docs, fleet, cluster) {
      return vmSubjects(docs, fleet, cluster);
    },

    decoys(subject) {
      return vmDecoys(subject);
    },

    whoCanAssume(docs, intent, cluster, roleName, subjects) {
      return vmWhoCanAssume(docs, intent, cluster, roleName, subjects);
    },

    verifyChain(docs, fleet, runner, runnerPath) {
      const out: Finding[] = [];
      const facts = awsFacts(docs);
      const manager = identityOf(fleet, runner.managerIdentity);
      if (!facts?.roles.get(manager.roleName)) {
        out.push({ code: 'RF106', severity: 'error', path: runnerPath, message: `the manager role ${manager.roleName} is not in terraform/aws/main.tf.json`, fix: 'regenerate; report a bug if it persists', deploymentFix: `give the Terraform of the manager role ${manager.roleName}` });
      }
      const cluster = fleet.clusters.find((x) => x.name === runner.cluster)!;
      const got = vmRoleOfRunnerProfile(docs, fleet, cluster, runner);
      if (got !== manager.roleName) {
        out.push({ code: 'RF106', severity: 'error', path: runnerPath, message: `instance profile ${names(runner).instanceProfile} carries ${got ?? 'no role'}, not the manager role ${manager.roleName}`, fix: 'regenerate; the names must come from one resolved value', deploymentFix: `make instance profile ${names(runner).instanceProfile} carry the manager role ${manager.roleName}` });
      }
      out.push(...verifyUserDataConfig(docs, runner, runnerPath));
      return out;
    },

    verifyRunner(docs, fleet, runner, runnerPath) {
      const own = c.verifyRunner(docs, fleet, runner, runnerPath);
      const extra = own.jobsHoldManagerCredentials === true ? { jobsHoldManagerCredentials: true } : {};
      // A deployment read by the doctor that does not show the token's store: nothing to prove it against.
      if (runner.tokenStoreUnknown !== undefined) {
        const unknown: Finding = { code: 'RF903', severity: 'info', path: runnerPath, message: `where runner ${runner.name} keeps its runner token is not shown: ${runner.tokenStoreUnknown}; who can read the token is not proven`, fix: 'keep the token in an SSM SecureString parameter that the user data reads at boot (aws ssm get-parameter --with-decryption), and give its aws_ssm_parameter' };
        return { findings: [unknown, ...own.findings], proofs: [{ claim: 'only the manager and the token rotator can read the runner token', holds: false }, ...own.proofs], ...extra };
      }
      const token = proveTokenAccess(docs, fleet, runner, runnerPath, managerTokenParameter(docs, fleet, runner));
      const readers = proveTokenReaders(docs, fleet, runner);
      return { findings: [...token.findings, ...readers.findings, ...own.findings], proofs: [{ claim: token.claim, holds: token.holds }, { claim: readers.claim, holds: readers.holds }, ...own.proofs], ...extra };
    },

    verifyDocuments(docs, fleet) {
      const tokenParameters = new Set(fleet.runners.flatMap((r) => (r.platformNames?.tokenParameter !== undefined ? [r.platformNames.tokenParameter] : [])));
      return [...verifyComputeDocuments(docs, tokenParameters), ...wideTokenReaderFindings(docs, fleet)];
    },

    roleOfSubject(docs, _intent, _cluster, subject) {
      return vmRoleOfSubject(docs, subject);
    },

    readme(fleet, runners) {
      const region = fleet.aws!.region;
      const steps = [
        {
          title: `Register each ${c.title} runner in GitLab and put its token into its SSM parameter.`,
          lines: [
            'Use a token with the `create_runner` scope in `GITLAB_TOKEN`. The token goes from GitLab straight into the SecureString parameter; it never touches a file, user data or your shell history. The manager instance polls the parameter every 30 s for an hour after boot, so it comes online by itself:',
            '',
            ...runners.flatMap((r) => [
              '```sh',
              ...gitlabCreateRunnerRequest(fleet, r.name).flatMap((l) => l.split('\n')),
              `  | aws ssm put-parameter --region ${region} --name ${names(r).tokenParameter} --type SecureString${runnerTokenKey(fleet, r) ? ` --key-id ${runnerTokenKey(fleet, r)!}` : ''} --overwrite --value file:///dev/stdin`,
              '```',
              '',
            ]),
            'Later than an hour after boot, replace the instance so it reads the token again:',
            '',
            '```sh',
            ...runners.map((r) => `aws autoscaling start-instance-refresh --region ${region} --auto-scaling-group-name ${names(r).managerGroup}`),
            '```',
          ],
        },
        ...(c.extraSteps?.(fleet, runners) ?? []),
      ];
      const sections = [
        {
          heading: `${c.title}: the manager instance`,
          lines: [
            `Each runner manager is one EC2 instance kept by a one-instance Auto Scaling group (so a failed instance is replaced and registers itself again from the token parameter), started from a launch template with IMDSv2 required, an encrypted root volume and no key pair. Its security group admits nothing; operators connect with \`aws ssm start-session\` (the role has ${'`AmazonSSMManagedInstanceCore`'}). User data (\`ec2/<runner>/user-data.sh\`) runs under \`set -euo pipefail\` and stops at the first failed step. It configures GitLab's package repository itself (no piped install script; the package-signing key is imported only with its documented fingerprint, and dnf checks repository and package signatures), installs gitlab-runner ${RUNNER_VERSION} pinned, turns on automatic security updates, installs any other download only if its SHA-256 is the pinned one, writes \`config.toml\` and reads the token from SSM at boot.`,
            '',
            ...runners.flatMap((r) => [`- **${r.name}**: ${c.jobCredentials(fleet, r).join(' ')}`]),
          ],
        },
      ];
      return { steps, sections };
    },
  };
}
