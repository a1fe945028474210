import type { ResolvedFleet, ResolvedRunner } from '../../model/types.js';
import type { IdentityCheckJob } from '../../platforms/types.js';
import { reachSmokeJobs } from './reach-smoke.js';

const DIR = '.runner-fleet-smoke';

/**
 * A pipeline that proves the runner works end to end: a cache round trip (written by one job,
 * read back by another that `needs` it) and a job that fails unless it runs as the job identity.
 */
export function smokePipeline(fleet: ResolvedFleet, runner: ResolvedRunner, identityCheck: IdentityCheckJob): Record<string, unknown> {
  const g = runner.spec.gitlab;
  const reach = reachSmokeJobs(fleet, runner);
  const pipeline: Record<string, unknown> = {
    stages: [...(runner.cache ? ['cache-write', 'cache-read', 'identity'] : ['identity']), ...(reach.length > 0 ? ['reach'] : [])],
  };
  if (g.tags.length > 0) pipeline.default = { tags: [...g.tags] };
  pipeline.variables = { RUNNER_FLEET_RUNNER: `${fleet.name}/${runner.name}` };
  if (runner.cache) {
    // Both jobs' cache sections written out (sharing `paths`, as the spread copies did): a
    // spread-then-add literal made a new hidden class per runner in unoptimized code.
    const cache = { key: 'runner-fleet-smoke-$CI_PIPELINE_ID', paths: [`${DIR}/`] };
    pipeline['cache-write'] = {
      stage: 'cache-write',
      cache: { key: cache.key, paths: cache.paths, policy: 'push' },
      script: [`mkdir -p ${DIR}`, `echo "$CI_PIPELINE_ID" > ${DIR}/marker`, 'echo "wrote the cache marker for pipeline $CI_PIPELINE_ID"'],
    };
    pipeline['cache-read'] = {
      stage: 'cache-read',
      needs: ['cache-write'],
      cache: { key: cache.key, paths: cache.paths, policy: 'pull' },
      script: [
        `test -f ${DIR}/marker || { echo "FAIL: cache miss: the manager could not sign or the bucket refused the object" >&2; exit 1; }`,
        `test "$(cat ${DIR}/marker)" = "$CI_PIPELINE_ID" || { echo "FAIL: the cache returned another pipeline's marker" >&2; exit 1; }`,
        'echo "OK: cache round trip"',
      ],
    };
  }
  pipeline['job-identity'] = { stage: 'identity', ...(identityCheck.image !== undefined ? { image: identityCheck.image } : {}), script: identityCheck.script };
  // Identity environment variables come before IMDS in the credential chain, so job-identity passes even where the node's identity is one request away.
  if (identityCheck.imdsCheck) pipeline['job-no-imds'] = { stage: 'identity', ...(identityCheck.image !== undefined ? { image: identityCheck.image } : {}), script: identityCheck.imdsCheck };
  // Deploy targets in other accounts and GitLab ID-token roles (reach-smoke.ts).
  for (const [name, job] of reach) pipeline[name] = job;
  return pipeline;
}

/** The comment at the top of the pipeline: where to put it and what protected-only implies. */
export function smokePipelineHeader(runner: ResolvedRunner, fleet?: ResolvedFleet): string {
  const lines = [`Smoke test for runner ${runner.name}: cache round trip and job identity.`, 'Copy it into a project the runner serves as .gitlab-ci.yml (or include it) and run a pipeline.'];
  if (runner.spec.gitlab.protectedOnly) lines.push('This runner takes jobs from protected branches and tags only: run the pipeline on one.');
  const ext = (fleet?.reach?.targets ?? []).filter((t) => t.runner === runner.name && t.externalId);
  if (ext.length > 0) lines.push(`Deploy-target jobs read External IDs from masked CI/CD variables: ${ext.map((t) => t.externalId!.ciVariable).join(', ')}.`);
  if ((fleet?.reach?.idTokens?.roles ?? []).some((r) => r.runner === runner.name)) lines.push('ID-token jobs run only in the project and on the ref their role admits (rules:).');
  return lines.join('\n');
}
