import type { ComputeDoctorReader } from '../../doctor/vm.js';
import { managerHostHolds } from './host.js';

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
