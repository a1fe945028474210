/**
 * What a job that reaches the manager's host obtains: its instance role (`role`: the role as the
 * files name it, '' where the chain proved it), or, on an instance with no instance profile, no role
 * but the runner tokens the host keeps.
 */
export function managerHostHolds(role: string | undefined): string {
  return role !== undefined ? `the instance role${role}, which is the manager's (cache signing, token parameter)` : "config.toml and every runner token in it (the instance has no instance profile, so no instance role)";
}
