import { identityOf, jobIdentityOf } from '../model/types.js';
import { formatFinding, safeFinding } from '../spec/findings.js';
import type { PlanResult } from '../core.js';

export function summaryLine(plan: PlanResult): string {
  const count = (s: string) => plan.findings.filter((f) => f.severity === s).length;
  const proofs = plan.proofs.length > 0 ? `, ${plan.proofs.filter((p) => p.holds).length}/${plan.proofs.length} proofs hold` : '';
  return `${count('error')} error(s), ${count('warning')} warning(s), ${count('info')} info${proofs}`;
}

export function textReport(plan: PlanResult): string {
  const lines: string[] = [];
  if (plan.fleet) {
    lines.push(`fleet ${plan.fleet.name}: ${plan.fleet.runners.length} runner(s) on ${plan.fleet.clusters.length} cluster(s), ${plan.fleet.caches.length} cache(s)`);
    for (const r of plan.fleet.runners) {
      const m = identityOf(plan.fleet, r.managerIdentity);
      const j = jobIdentityOf(plan.fleet, r);
      lines.push(`  runner ${r.name}: ${r.platform}/${r.cluster}${r.kubernetes ? ` ns ${r.kubernetes.namespace}` : ''}, manager ${m.roleName}, jobs ${j ? j.roleName : '(no cloud identity)'}${r.cache ? `, cache ${r.cache.cache}:${r.cache.path}/` : ''}`);
    }
    lines.push('');
  }
  if (plan.proofs.length > 0) {
    lines.push('proofs:');
    for (const p of plan.proofs) lines.push(`  ${p.holds ? 'ok  ' : 'FAIL'} ${p.runner}: ${p.claim}${acceptedNote(p)}`);
    lines.push('');
  }
  for (const f of plan.findings) lines.push(formatFinding(f));
  if (plan.findings.length > 0) lines.push('');
  lines.push(summaryLine(plan));
  return `${lines.join('\n')}\n`;
}

/** A proof the spec's accepted risks refute says where they are accepted and why. */
function acceptedNote(p: PlanResult['proofs'][number]): string {
  if (p.holds || !p.accepted?.length) return '';
  return ` (accepted: ${p.accepted.map((a) => `${a.code} at ${a.at}: ${a.reason}`).join('; ')})`;
}

export function jsonReport(plan: PlanResult, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ exitCode: plan.exitCode, findings: plan.findings.map(safeFinding), proofs: plan.proofs, ...extra }, null, 2)}\n`;
}
