import { loadAndPlan } from './load.js';
import { identityRef } from '../model/types.js';
import { jsonReport, textReport } from './report.js';

export async function planCommand(spec: string, opts: { json?: boolean; showResolved?: boolean }, io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  const plan = await loadAndPlan(spec);
  if (opts.showResolved && plan.fleet) {
    const { toYaml } = await import('../emit/serialize.js');
    const resolved = { ...plan.spec, derived: { runners: plan.fleet.runners.map((r) => ({ name: r.name, kubernetes: r.kubernetes, cache: r.cache })), identities: plan.fleet.identities.map((i) => ({ key: i.key, roleName: i.roleName, arn: identityRef(i), binding: i.binding })) } };
    if (opts.json) io.out(jsonReport(plan, { resolved }));
    else io.out(toYaml(resolved));
    if (plan.exitCode !== 0 && !opts.json) io.err(textReport(plan));
    return plan.exitCode;
  }
  if (opts.json) io.out(jsonReport(plan));
  else (plan.exitCode === 2 ? io.err : io.out)(textReport(plan));
  return plan.exitCode;
}
