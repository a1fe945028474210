import type { Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';

/** The parts of a runner's GitLab registration that decide who can run a job on it. */
export interface RunnerAudienceSettings {
  group?: string;
  project?: string;
  instance?: boolean;
  locked: boolean;
  protectedOnly: boolean;
}

/** The audience settings alone (the registration's other fields left out). */
export function audienceOf(g: RunnerAudienceSettings): RunnerAudienceSettings {
  return { ...(g.group !== undefined ? { group: g.group } : {}), ...(g.project !== undefined ? { project: g.project } : {}), ...(g.instance !== undefined ? { instance: g.instance } : {}), locked: g.locked, protectedOnly: g.protectedOnly };
}

/**
 * Who can run a job on the runner. GitLab honours `locked` on project runners only (a group or an
 * instance runner serves every project of its group or instance whatever it says), and which
 * branches and tags are protected is decided per project by that project's Maintainers.
 * Undefined: the registration does not say whether it is a project, group or instance runner.
 */
export function runnerAudience(g: RunnerAudienceSettings): { kind: 'project' | 'group' | 'instance'; reach: string } | undefined {
  if (g.group !== undefined) return { kind: 'group', reach: `protected refs of any project in group ${g.group}` };
  if (g.instance === true) return { kind: 'instance', reach: 'protected refs of any project on the GitLab instance' };
  if (g.project !== undefined) return { kind: 'project', reach: `protected refs of ${g.project}${g.locked ? '' : ' and of any project a Maintainer enables it for (not locked)'}` };
  return undefined;
}

/**
 * Whether the registration keeps the runner to protected refs of the projects it names: protected-only,
 * and locked where GitLab honours locked (project runners, and runners whose kind is not shown).
 */
export function runnerClosed(g: RunnerAudienceSettings): boolean {
  const kind = runnerAudience(g)?.kind;
  return g.protectedOnly && (g.locked || kind === 'group' || kind === 'instance');
}

/**
 * RF316: the jobs hold a powerful identity and the runner is a group or instance runner, so the
 * Maintainers of every project there can protect a branch of their own and run a job with it.
 * Only for a runner that takes protected refs alone (otherwise RF303/RF601 says more).
 */
export function sharedRunnerPower(g: RunnerAudienceSettings, path: string, powerful: string, cloud: 'aws' | 'azure'): Finding | undefined {
  const audience = runnerAudience(g);
  if (!g.protectedOnly || audience === undefined || audience.kind === 'project') return undefined;
  const where = audience.kind === 'group' ? `group ${g.group!} or its subgroups` : 'the instance';
  const bind = cloud === 'aws'
    ? 'or give the powerful role to GitLab ID tokens instead (idTokens: a role whose subjects name the project and its protected refs, so AWS checks the token\'s sub)'
    : 'or give the powerful role to a federated credential whose subject names the project and its protected ref (GitLab ID tokens)';
  return {
    code: 'RF316',
    severity: CODES.RF316.severity,
    path,
    message: `${powerful}, and this is ${audience.kind === 'group' ? 'a group' : 'an instance'} runner: ${audience.reach} reach it. GitLab ignores locked on ${audience.kind} runners, and each project's Maintainers decide which of its branches are protected, so a Maintainer of any project in ${where} can protect a branch and run a job with this identity`,
    received: JSON.stringify(audience.kind === 'group' ? { group: g.group } : { instance: true }),
    allowed: '{"project":"<the project that deploys>"}',
    fix: `register a project runner for the project that needs the identity (gitlab.project instead of gitlab.${audience.kind === 'group' ? 'group' : 'instance'}), ${bind}`,
  };
}
