import { fleetSchema, type ParsedSpec } from './spec/fleet.js';
import { checkHeader, issuesToFindings, readSpecText } from './spec/parse.js';
import { checkSpec } from './spec/check.js';
import { resolveFleet } from './spec/resolve.js';
import { capFindings, sortFindings, type Finding } from './spec/findings.js';
import type { AppliedOutputs, ResolvedFleet } from './model/types.js';
import { emitFleet } from './emit/index.js';
import type { EmittedFleet } from './emit/types.js';
import { verifyFleet, type Proof, type Verification } from './verify/index.js';
import { intentOf } from './verify/intent.js';
import { outputReadme } from './emit/readme/readme.js';
import { serializeArtifact, type OutputFile } from './emit/serialize.js';

export type ExitCode = 0 | 1 | 2;

export interface PlanResult {
  /** 0: fine; 1: the fleet has error findings; 2: the spec cannot be read. */
  exitCode: ExitCode;
  findings: Finding[];
  proofs: Proof[];
  spec?: ParsedSpec;
  fleet?: ResolvedFleet;
  emitted?: EmittedFleet;
  verification?: Verification;
}

const hasErrors = (findings: Finding[]) => findings.some((f) => f.severity === 'error');

/**
 * parse → check → resolve → emit → verify, from a plain value (what YAML or a module gave).
 * `applied`: values that exist only after an apply (e.g. Azure client ids), given by the user.
 * `written`: the text of numbers the reader could not hold as written, by path (readSpecText).
 */
export function planValue(value: unknown, applied?: AppliedOutputs, written?: ReadonlyMap<string, string>): PlanResult {
  const header = checkHeader(value);
  if (header.length > 0) return { exitCode: 2, findings: header, proofs: [] };
  const parsed = fleetSchema.safeParse(value);
  if (!parsed.success) return { exitCode: 2, findings: capFindings(sortFindings(issuesToFindings(fleetSchema, value, parsed.error.issues, written))), proofs: [] };
  const spec = parsed.data;
  const specFindings = checkSpec(spec, value);
  if (hasErrors(specFindings)) return { exitCode: 2, findings: capFindings(sortFindings(specFindings)), proofs: [], spec };
  const { fleet, findings: nameFindings } = resolveFleet(spec);
  if (applied) fleet.applied = applied;
  if (hasErrors(nameFindings)) return { exitCode: 2, findings: sortFindings(nameFindings), proofs: [], spec, fleet };
  const emitted = emitFleet(fleet);
  const verification = verifyFleet(intentOf(fleet), emitted);
  const findings = sortFindings([...specFindings, ...nameFindings, ...verification.findings]);
  return { exitCode: hasErrors(findings) ? 1 : 0, findings, proofs: verification.proofs, spec, fleet, emitted, verification };
}

/** The same, from spec text. */
export function planText(text: string, fileName?: string, applied?: AppliedOutputs): PlanResult {
  const read = readSpecText(text, fileName);
  if (read.findings.length > 0) return { exitCode: 2, findings: read.findings, proofs: [] };
  return planValue(read.value, applied, read.written);
}

/** Bytes of every output file, in path order. Only for a plan without error findings. */
export function synthFiles(plan: PlanResult): OutputFile[] {
  if (!plan.emitted || !plan.fleet || !plan.verification || plan.exitCode !== 0) throw new Error('internal: synthFiles needs a plan without errors');
  const readme = outputReadme(plan.fleet, plan.emitted, plan.verification);
  return [...plan.emitted.artifacts, readme]
    .map(serializeArtifact).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
