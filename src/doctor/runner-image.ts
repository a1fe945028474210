/** An image of gitlab-runner (the official ones, or a mirror that keeps the name): a workload running it is a manager. */
export const RUNNER_IMAGE = /(^|\/)gitlab-runner(:|@|$)/;
