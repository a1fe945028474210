import { managerHostHolds } from './host.js';
import type { IntentRunner } from '../../verify/intent.js';
import { z } from 'zod';
import type { PlatformPlugin } from '../types.js';
import type { Finding } from '../../spec/findings.js';
import { CODES } from '../../spec/codes.js';
import { vmPlatform } from '../aws-vm/platform.js';
import { instanceRunnerSchema, vmClusterFields, type InstanceRunnerSpec } from '../aws-vm/schema.js';
import { dockerCacheSettings, key, managerMetadataOptions, managerResources, managerUserData } from '../aws-vm/common.js';
import { AWS_CLI_IMAGE, awsIdentityCheckJob } from '../aws-identity-check.js';
import { findBy } from '../../model/lookup.js';
import { dockerHostEscapes, escapeFindings } from '../../verify/docker-escape.js';


export const ec2DockerClusterSchema = z.strictObject({ ...vmClusterFields, type: z.literal('ec2-docker') });

function instanceOf(runner: { spec: unknown }): InstanceRunnerSpec {
  return (runner.spec as { instance?: InstanceRunnerSpec }).instance ?? {};
}

/** Hop limit 2 lets a container's IMDSv2 token request reach the host; 1 keeps jobs out. */
function hopLimit(runner: IntentRunner): 1 | 2 {
  return instanceOf(runner).jobsReachInstanceCredentials === true ? 2 : 1;
}

/** What a job that reaches the host gets there: the manager's own instance and its role. */
const ON_THE_HOST = managerHostHolds('');

/** Jobs run in Docker containers on the manager's own instance. */
export const ec2DockerPlatform: PlatformPlugin = vmPlatform({
  type: 'ec2-docker',
  title: 'EC2 (Docker executor)',
  clusterSchema: ec2DockerClusterSchema,
  runnerKeys: { instance: instanceRunnerSchema },

  // Jobs share the instance; they get no identity of their own.
  jobsBinding: () => undefined,

  checkSpec(ctx) {
    const out: Finding[] = [];
    for (const r of ctx.runners) {
      if (r.spec.jobs.permissions.aws.length > 0) {
        out.push({ code: 'RF702', severity: 'error', path: `${r.path}.jobs.permissions.aws`, message: 'Docker jobs on EC2 have no AWS identity of their own to grant permissions to', fix: 'use GitLab CI id_tokens to assume a role from the job, or run the runner on ecs-fargate (a task role per job)' });
      }
    }
    return out;
  },

  emitRunner(fleet, cluster, runner, ctx) {
    const executorToml = {
      executor: 'docker',
      docker: { image: runner.spec.jobs.image, privileged: runner.spec.jobs.privileged, ...dockerCacheSettings(runner.cache !== undefined) },
    };
    const toml = ctx.configToml(executorToml);
    const userData = managerUserData({ fleet, runner, configToml: toml, docker: true, files: [], steps: [] });
    return { files: [userData], executorToml, manifests: [], terraformAws: managerResources(fleet, cluster, runner, userData, [], hopLimit(runner)) };
  },

  identityCheckJob(fleet, runner) {
    if (hopLimit(runner) === 2) {
      const manager = findBy(fleet.identities, 'key', runner.managerIdentity)!;
      const job = awsIdentityCheckJob(fleet, manager);
      return { ...job, script: [`echo "expected: the instance role ${manager.roleName}: jobsReachInstanceCredentials is on, so jobs share the manager's credentials (RF713)"`, ...job.script] };
    }
    return {
      image: { name: AWS_CLI_IMAGE, entrypoint: [''] },
      script: [
        'echo "expected: NO AWS credentials: IMDSv2 hop limit 1 keeps job containers away from the instance role"',
        'export AWS_METADATA_SERVICE_TIMEOUT=2 AWS_METADATA_SERVICE_NUM_ATTEMPTS=1',
        'if arn="$(aws sts get-caller-identity --query Arn --output text 2>/dev/null)"; then echo "FAIL: jobs obtained AWS credentials as $arn" >&2; exit 1; fi',
        'echo "OK: jobs have no AWS credentials"',
      ],
    };
  },

  verifyRunner(docs, _fleet, runner, runnerPath) {
    const { hopLimit: hop, httpTokens: tokens, spotRequest } = managerMetadataOptions(docs, runner);
    // IMDSv1 answers a container's plain GET whatever the hop limit (the limit applies to IMDSv2's
    // token response only); an unset limit is the AMI's (2 for AMIs with ImdsSupport v2.0, EC2
    // API reference, Image.ImdsSupport) or the account's metadata defaults, so it is not shown.
    const v1 = tokens !== 'required';
    const reach = v1 || hop === undefined || hop > 1;
    const why = spotRequest
      ? "sends no metadata options to its instance, whatever its metadata_options say (RF711): the AMI or the account's metadata defaults decide IMDSv2 and the hop limit, so job containers may obtain the instance role"
      : v1
      ? `does not require IMDSv2 (http_tokens ${tokens === undefined ? 'not set' : `= ${JSON.stringify(tokens)}`}): job containers, which run the code of every job, can read the instance role's credentials over IMDSv1 (the instance's own exposure, to any process on it, is RF711)`
      : hop === undefined
        ? "sets no IMDS hop limit, so the AMI (2 for AMIs with ImdsSupport v2.0) or the account's metadata defaults decide it: job containers may obtain the instance role"
        : `has IMDS hop limit ${String(hop)}: job containers can obtain the instance role`;
    // Named by its address: the doctor shows the resource the user wrote (an aws_instance read as the
    // launch template the proofs look up reads "instance aws_instance.x"). The runner is named in
    // words: the doctor adds "runner <name>:" only to a message that does not hold the name, and the
    // address holds it (docker_manager) until the doctor renames it.
    const lt = `launch template aws_launch_template.${key(runner, 'manager')}`;
    const findings: Finding[] = reach
      ? [{ code: 'RF713', severity: CODES.RF713.severity, path: `${runnerPath}.instance.jobsReachInstanceCredentials`, message: `the manager of runner ${runner.name}, ${lt}, ${why}; that role is the manager's (cache signing, token parameter)`, received: spotRequest ? 'metadata_options of a spot instance request' : v1 ? `http_tokens ${tokens === undefined ? 'not set' : JSON.stringify(tokens)}` : String(hop), allowed: v1 ? 'http_tokens = "required"' : '1', fix: 'remove instance.jobsReachInstanceCredentials; give jobs cloud access through GitLab CI id_tokens instead', deploymentFix: spotRequest ? `start the manager from a launch template, or as an aws_instance with instance_market_options { market_type = "spot" }, with metadata_options { http_tokens = "required", http_put_response_hop_limit = 1 }; give jobs cloud access through GitLab CI id_tokens` : `set metadata_options { http_tokens = "required", http_put_response_hop_limit = 1 } on the manager ${lt}; give jobs cloud access through GitLab CI id_tokens` }]
      : [];
    // The hop limit holds only while jobs stay inside their containers: a setting that lets them
    // reach the host (privileged included, which is RF301) reaches its metadata service too.
    const escapes = dockerHostEscapes(docs.runners.get(runner.name)?.configToml);
    findings.push(...escapeFindings(escapes, runnerPath, `from the host a job obtains ${ON_THE_HOST}`));
    // A read-only mount (RF309 where it exposes secrets) or a host settings file keeps the job in its container: not a way to the metadata service.
    const escaped = escapes.some((e) => e.contained !== true);
    return { findings, proofs: [{ claim: 'job containers cannot reach the instance credentials (IMDSv2 required, hop limit 1)', holds: !reach && !escaped }], ...(reach || escaped ? { jobsHoldManagerCredentials: true } : {}) };
  },

  privilegedJobsTakeOver() {
    // A privileged container is root on the host; the IMDS hop limit only separates containers.
    return `the manager's instance, and with it ${ON_THE_HOST}: IMDSv2 hop limit 1 does not stop a job that has left its container`;
  },

  jobCredentials(_fleet, runner) {
    if (runner.spec.jobs.privileged && hopLimit(runner) === 1) {
      return ['Jobs run in Docker on the manager instance, **privileged** (RF301, accepted in the spec): a privileged container can take over the instance, and with it the instance role — the manager\'s, which signs cache URLs and reads the runner token. IMDSv2 hop limit 1 does not stop a job that has left its container, so the proof that jobs cannot reach the instance credentials does not hold.'];
    }
    return hopLimit(runner) === 2
      ? ['Jobs run in Docker on the manager instance with IMDS hop limit 2, so **every job can obtain the instance role** — the manager\'s, which signs cache URLs and reads the runner token. Accepted in the spec (RF713); the smoke test expects jobs to run as that role.']
      : ['Jobs run in Docker on the manager instance. IMDSv2 is required with hop limit 1, so a container\'s token request never reaches the metadata service: **jobs get no AWS credentials**. Give them cloud access with GitLab CI `id_tokens` and a role trusting GitLab\'s OIDC issuer. The smoke test fails if a job obtains any credentials.'];
  },
});
