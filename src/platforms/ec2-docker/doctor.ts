import type { ComputeDoctorReader } from '../../doctor/vm.js';

/**
 * What a job that reaches the manager's host obtains: its instance role (`role`: the role as the
 * files name it, '' where the chain proved it), or, on an instance with no instance profile, no role
 * but the runner tokens the host keeps.
 */
export function managerHostHolds(role: string | undefined): string {
  return role !== undefined ? `the instance role${role}, which is the manager's (cache signing, token parameter)` : "config.toml and every runner token in it (the instance has no instance profile, so no instance role)";
}

/** ec2-docker read back: jobs run in Docker on the manager instance and hold no identity of their own. */
export const ec2DockerDoctor: ComputeDoctorReader = {
  executors: ['docker'],
  names: () => ({}),
  jobs: () => undefined,
  // The chain's words (index.ts privilegedJobsTakeOver, verifyRunner's RF309), with the role as known.
  hostTakeOver(_m, _root, role) {
    const holds = managerHostHolds(role);
    return { privileged: `the manager's instance, and with it ${holds}${role !== undefined ? ': IMDSv2 hop limit 1 does not stop a job that has left its container' : ''}`, fromHost: `from the host a job obtains ${holds}` };
  },
};
