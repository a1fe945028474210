import type { ComputeDoctorReader } from '../../doctor/vm.js';

/** ec2-docker read back: jobs run in Docker on the manager instance and hold no identity of their own. */
export const ec2DockerDoctor: ComputeDoctorReader = {
  executors: ['docker'],
  names: () => ({}),
  jobs: () => undefined,
};
