import { parse as parseToml } from 'smol-toml';
import type { Evidence, Located } from './evidence.js';
import { SourceFile, spanLine, type Position } from './source.js';
import { heredocSpan } from '../platforms/aws-vm/script-files.js';
import { normalPath } from './hcl/eval.js';
import { readTemplateToml } from './jinja-toml.js';

/**
 * A config.toml a standalone shell script writes with a heredoc (`cat > /etc/gitlab-runner/config.toml
 * <<EOF` … `EOF`, in a setup script run by hand or by a tool the doctor does not read): the file the
 * runner manager reads is that body, so its settings get the checks of a config.toml given alone
 * (privileged jobs, the Docker socket, MachineOptions keys, …), each at its line of the script. A
 * script Terraform reads (user data by file() or templatefile(), a provisioner's script) is read there,
 * with the instance it boots, and is left to that reader: one whose file name a Terraform file of the
 * evidence writes is not read here, nor one whose config.toml is the one a manager of the evidence took
 * (a copy of its user data given beside it). A body that is TOML only once the shell expands it (`${N}` outside
 * quotes) is not read: what it expands to is not in the files. A Terraform template file (`.tpl`, `.tftpl`)
 * no Terraform given reads, a script's heredoc or a whole config.toml, is read as a template
 * (jinja-toml.ts): its `${…}` values unknown, both branches of a `%{ if }` read and said as conditional.
 */

/** The heredoc body's keys where the script writes them: the body's own line, moved down by the lines before it. */
class ScriptTomlSource extends SourceFile {
  readonly #span: { from: number; lines?: readonly number[] };
  constructor(path: string, body: string, span: { from: number; lines?: readonly number[] }) {
    super(path, body, 'toml');
    this.#span = span;
  }
  override locate(doc: number, path: readonly (string | number)[]): Position {
    const p = super.locate(doc, path);
    return { ...p, line: spanLine(this.#span, p.line - 1) + 1 };
  }
}

/** A shell script by its name or its first line (`#!/bin/bash`, `#!/usr/bin/env sh`). */
const SHELL_SCRIPT = (path: string, text: string) => /\.(?:sh|bash)$/i.test(path) || /^#![^\n]*\b(?:ba|da|z|k)?sh\b/.test(text);
const TERRAFORM_FILE = /\.(?:tf|tofu)(?:\.json)?$/i;
/** A Terraform template file, as templatefile() reads it (`.tftpl`, and the `.tpl` many modules still use). */
const TERRAFORM_TEMPLATE = /\.(?:tftpl|tpl)$/i;

/** The config.toml heredocs of the evidence's standalone shell scripts that parse as TOML and hold [[runners]]. */
export function scriptConfigTomls(ev: Evidence, taken: ReadonlySet<unknown> = new Set()): Located<Record<string, unknown>>[] {
  const out: Located<Record<string, unknown>>[] = [];
  // A copy of a manager's user data beside it (synth writes ec2/<runner>/user-data.sh): the config.toml a manager took, not another.
  let takenTexts: Set<string> | undefined;
  const texts = ev.texts ?? new Map<string, string>();
  const read = ev.terraform.filesRead ?? new Set<string>();
  for (const a of ev.artifacts) {
    if (a.format !== 'text' || typeof a.content !== 'string' || read.has(normalPath(a.path))) continue;
    const template = TERRAFORM_TEMPLATE.test(a.path);
    const script = SHELL_SCRIPT(a.path, a.content);
    // A Terraform template file of a whole config.toml (`config.toml.tpl`), not a script.
    const whole = template && !script && /^[ \t]*\[\[runners\]\]/m.test(a.content) ? { body: a.content, from: 0 } : undefined;
    if (!script && whole === undefined) continue;
    const span = whole ?? heredocSpan(a.content, 'config.toml');
    if (span === undefined || ('indent' in span && span.indent !== undefined)) continue;
    const name = a.path.split('/').pop()!;
    if ([...texts].some(([p, t]) => TERRAFORM_FILE.test(p) && t.includes(name))) continue;
    let readings: { value: Record<string, unknown>; source: SourceFile }[];
    if (template) {
      // Its `${…}` and `%{ if }` directives are templatefile()'s: read as a template (jinja-toml.ts), each reading of its branches.
      const t = readTemplateToml(a.path, span.body, 'terraform', span);
      if ('error' in t) continue;
      readings = [t, ...t.alternatives];
    } else {
      try {
        readings = [{ value: parseToml(span.body), source: new ScriptTomlSource(a.path, span.body, span) }];
      } catch {
        continue;
      }
    }
    for (const { value, source } of readings) {
      if (!Array.isArray(value.runners)) continue;
      takenTexts ??= new Set([...taken].filter((t) => t !== undefined && t !== null).map((t) => JSON.stringify(t)));
      if (takenTexts.has(JSON.stringify(value))) continue;
      out.push({ value, origin: { source, doc: 0, path: [] } });
    }
  }
  return out;
}
