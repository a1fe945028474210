import { fleetSchema, type ParsedSpec } from './spec/fleet.js';
import { checkHeader, issuesToFindings, readSpecText } from './spec/parse.js';
import type { SpecLocator } from './spec/reader.js';
import { checkSpec } from './spec/check.js';
import { resolveFleet } from './spec/resolve.js';
import { capFindings, parsePath, safeText, sortFindings, type Finding } from './spec/findings.js';
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

/** Where the spec was written: the file's name as the user gave it and the reader's locator. */
export interface SpecSource {
  file: string;
  locate: SpecLocator;
}

/**
 * The findings about the spec, each with the place of its path in the file (`position`): the key of an
 * unknown key (RF003), the value of anything else, the nearest existing parent of what is missing.
 * A finding about the whole spec (path '') or a path the text has nothing of keeps none.
 */
function placed(findings: Finding[], source: SpecSource | undefined): Finding[] {
  if (!source) return findings;
  const file = safeText(source.file, 200);
  return findings.map((f) => {
    if (f.path === '' || f.position) return f;
    const path = parsePath(f.path);
    const at = path && source.locate(path, f.code === 'RF003' ? 'key' : 'value');
    return at ? { ...f, position: { file, line: at.line, column: at.column } } : f;
  });
}

/**
 * parse → check → resolve → emit → verify, from a plain value (what YAML or a module gave).
 * `applied`: values that exist only after an apply (e.g. Azure client ids), given by the user.
 * `written`: the text of numbers the reader could not hold as written, by path (readSpecText).
 * `source`: the spec's file and the places of its paths (readSpecText): findings about the spec get a `position`.
 */
export function planValue(value: unknown, applied?: AppliedOutputs, written?: ReadonlyMap<string, string>, source?: SpecSource): PlanResult {
  const header = placed(checkHeader(value), source);
  if (header.length > 0) return { exitCode: 2, findings: header, proofs: [] };
  const parsed = fleetSchema.safeParse(value);
  if (!parsed.success) return { exitCode: 2, findings: placed(capFindings(sortFindings(issuesToFindings(fleetSchema, value, parsed.error.issues, written))), source), proofs: [] };
  const spec = parsed.data;
  const specFindings = placed(checkSpec(spec, value), source);
  if (hasErrors(specFindings)) return { exitCode: 2, findings: capFindings(sortFindings(specFindings)), proofs: [], spec };
  const { fleet, findings: resolved } = resolveFleet(spec);
  const nameFindings = placed(resolved, source);
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
  return planValue(read.value, applied, read.written, read.locate ? { file: fileName ?? 'spec', locate: read.locate } : undefined);
}

/** Bytes of every output file, in path order. Only for a plan without error findings. */
export function synthFiles(plan: PlanResult): OutputFile[] {
  if (!plan.emitted || !plan.fleet || !plan.verification || plan.exitCode !== 0) throw new Error('internal: synthFiles needs a plan without errors');
  const readme = outputReadme(plan.fleet, plan.emitted, plan.verification);
  return [...plan.emitted.artifacts, readme]
    .map(serializeArtifact).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
