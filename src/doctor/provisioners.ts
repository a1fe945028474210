import type { Expr } from './hcl/ast.js';
import type { ConfigBlock, ConfigBody, Loc } from './hcl/config.js';
import { instanceEnv, Unknown, type Instance, type ModuleEvaluator } from './hcl/eval.js';
import type { Position } from './source.js';

/**
 * One step of how Terraform sets up an instance after creating it: its creation-time provisioners,
 * in the order written. Terraform runs a resource's provisioners in order once it is created; one
 * with `when = destroy` runs only when it is destroyed (Terraform language docs, "Provisioners",
 * developer.hashicorp.com/terraform/language/resources/provisioners/syntax: creation-time and
 * destroy-time provisioners; OpenTofu's docs say the same), so it is no part of the setup.
 *
 * - `line`: a line of a `remote-exec` `inline` list, run as a shell line.
 * - `script`: a `remote-exec` `script` / `scripts` file, run whole.
 * - `file`: a `file` provisioner writing `content`, or the file `source`, to `destination`. A
 *   `source` is relative to the working directory Terraform runs in (file provisioner docs: "relative
 *   to the current working directory or as an absolute path"), taken here as the root module's folder.
 *
 * `text` is the step's text as Terraform renders it; `partial` where parts only apply knows stay
 * `${…}` (literal `${` then written `$${`, as the evaluator writes a partly known template); a file
 * not among the files given has no text and names it in `missing`.
 */
export type SetupStep = (
  | { kind: 'line'; text: string; partial: boolean; written: string; at: Position; loc: Loc; offset: number }
  | { kind: 'script'; text?: string; missing?: string; file?: string; at: Position }
  | { kind: 'file'; destination: string; text?: string; partial: boolean; missing?: string; written?: string; at: Position; loc?: Loc; offset?: number }
) & {
  /** The resource whose provisioner it is, where that is not the instance (a null_resource connected to it). */
  via?: string;
};

/** The instance attributes an SSH or WinRM connection reaches it by. */
const HOST_ATTRIBUTE = /^(aws_instance|aws_spot_instance_request|azurerm_linux_virtual_machine|azurerm_windows_virtual_machine|azurerm_virtual_machine)\.([A-Za-z_][A-Za-z0-9_-]*)(\[\d+\])?\.(public_ip|private_ip|public_dns|private_dns|public_ip_address|private_ip_address)$/;

/**
 * The instance a `null_resource` or `terraform_data` sets up with its provisioners: the one its
 * `connection` block's `host` names (`host = aws_instance.runner.public_ip`, or `self.triggers.host` /
 * `self.triggers_replace.host` / `self.input.host` where that entry is such a reference, as public
 * ulm0/gitlab-runner-tf writes it). Terraform runs a provisioner over the connection of its own block
 * or, without one, of the resource (Terraform language docs, "Provisioner Connection Settings"): the
 * resource's connection is read, or one every provisioner's own connection names alike. As the
 * instance's type and name, with the index written (`aws_instance.runner[0]`); undefined where no host
 * names one instance.
 */
export function connectedInstance(block: ConfigBlock): string | undefined {
  const hostOf = (body: ConfigBody): string | undefined => {
    const conn = body.blocks.find((b) => b.type === 'connection');
    const host = conn?.body.attrs.find((a) => a.name === 'host');
    if (!host) return undefined;
    const text = host.loc.text.slice(host.expr.at, host.expr.end).trim();
    const direct = HOST_ATTRIBUTE.exec(text);
    if (direct) return `${direct[1]}.${direct[2]}${direct[3] ?? ''}`;
    // `self.triggers.host`: the entry of the resource's own triggers (triggers_replace, input for terraform_data).
    const self = /^self\.(triggers|triggers_replace|input)(?:\.([A-Za-z_][A-Za-z0-9_-]*)|\["([^"]+)"\])$/.exec(text);
    if (!self) return undefined;
    const holder = block.body.attrs.find((a) => a.name === self[1]);
    if (!holder || holder.expr.k !== 'object') return undefined;
    const name = self[2] ?? self[3];
    const item = holder.expr.items.find((i) => holder.loc.text.slice(i.key.at, i.key.end).replace(/^"|"$/g, '').trim() === name);
    const m = item ? HOST_ATTRIBUTE.exec(holder.loc.text.slice(item.value.at, item.value.end).trim()) : null;
    return m ? `${m[1]}.${m[2]}${m[3] ?? ''}` : undefined;
  };
  const own = hostOf(block.body);
  if (own !== undefined) return own;
  const each = block.body.blocks.filter((p) => p.type === 'provisioner' && SETUP.has(p.labels[0] ?? '') && !atDestroy(p.body)).map((p) => hostOf(p.body));
  return each.length > 0 && each.every((h) => h !== undefined && h === each[0]) ? each[0] : undefined;
}

/** The provisioners whose setup the doctor reads: the others (local-exec runs on the deployer's machine) set up no instance. */
const SETUP = new Set(['remote-exec', 'file']);

function rendered(evaluator: ModuleEvaluator, e: Expr, env: ReturnType<typeof instanceEnv>): { text: string; partial: boolean } | undefined {
  const v = evaluator.value(e, env);
  if (typeof v === 'string') return { text: v, partial: false };
  if (v instanceof Unknown) return { text: v.render, partial: true };
  return undefined;
}

/** Whether a provisioner runs at destroy (`when = destroy`, or the old quoted `"destroy"`). */
function atDestroy(body: ConfigBody): boolean {
  const when = body.attrs.find((a) => a.name === 'when');
  if (!when) return false;
  const text = when.loc.text.slice(when.expr.at, when.expr.end).replace(/"/g, '').trim();
  return text === 'destroy';
}

/**
 * The creation-time setup steps of one instance of `block` (its `remote-exec` and `file`
 * provisioners, in order); `given` reads a file of the files given by the path the evaluator resolved.
 */
export function provisionerSteps(evaluator: ModuleEvaluator, block: ConfigBlock, inst: Instance, given: (path: string) => { path: string; text: string } | undefined): SetupStep[] {
  const out: SetupStep[] = [];
  for (const p of block.body.blocks) {
    if (p.type !== 'provisioner' || !SETUP.has(p.labels[0] ?? '') || atDestroy(p.body)) continue;
    const attr = (name: string) => p.body.attrs.find((a) => a.name === name);
    const fileOf = (e: Expr, loc: Loc): { text?: string; missing?: string; file?: string } => {
      const env = instanceEnv(loc, inst);
      const path = evaluator.filePath(e, env);
      if (typeof path !== 'string') return { missing: loc.text.slice(e.at, e.end) };
      const file = given(path);
      return file ? { text: file.text, file: file.path } : { missing: path };
    };
    if (p.labels[0] === 'remote-exec') {
      const inline = attr('inline');
      if (inline) {
        const env = instanceEnv(inline.loc, inst);
        const items = inline.expr.k === 'tuple' ? inline.expr.items : [inline.expr];
        for (const item of items) {
          const r = rendered(evaluator, item, env);
          if (r) out.push({ kind: 'line', ...r, written: inline.loc.text.slice(item.at, item.end), at: inline.loc.pos(item.at), loc: inline.loc, offset: item.at });
        }
      }
      const script = attr('script');
      if (script) out.push({ kind: 'script', ...fileOf(script.expr, script.loc), at: script.loc.pos(script.expr.at) });
      const scripts = attr('scripts');
      if (scripts) for (const item of scripts.expr.k === 'tuple' ? scripts.expr.items : []) out.push({ kind: 'script', ...fileOf(item, scripts.loc), at: scripts.loc.pos(item.at) });
      continue;
    }
    const dest = attr('destination');
    const destination = dest ? rendered(evaluator, dest.expr, instanceEnv(dest.loc, inst)) : undefined;
    if (!destination || destination.partial) continue;
    const content = attr('content');
    const source = attr('source');
    if (content) {
      const r = rendered(evaluator, content.expr, instanceEnv(content.loc, inst));
      if (r) out.push({ kind: 'file', destination: destination.text, ...r, written: content.loc.text.slice(content.expr.at, content.expr.end), at: content.loc.pos(content.expr.at), loc: content.loc, offset: content.expr.at });
    } else if (source) {
      const read = fileOf(source.expr, source.loc);
      out.push({ kind: 'file', destination: destination.text, partial: false, ...(read.text !== undefined ? { text: read.text } : {}), ...(read.missing !== undefined ? { missing: read.missing } : {}), at: source.loc.pos(source.expr.at) });
    }
  }
  return out;
}

/** The heredoc delimiter a file step is written with in the setup script (quoted: its body is not expanded). */
const EOF = 'RUNNER_FLEET_PROVISIONED_FILE';

/**
 * The setup script the steps make, after the user data (`userData`: its text, and whether it holds
 * parts only apply knows), as the user data reader takes a script: base64 of it, or where a part is
 * only known at apply `${base64encode("…")}` of its escaped text (aws-instance.ts launchTemplateUserData).
 * A file step is written as a shell heredoc to its destination, which the readers of a config.toml
 * heredoc read (and a later `mv` of it moves). Steps whose file is not given are left out.
 */
export function setupScript(userData: { text: string; partial: boolean } | undefined, steps: readonly SetupStep[]): string {
  const pieces: { text: string; partial: boolean }[] = userData ? [userData] : [];
  for (const s of steps) {
    if (s.text === undefined) continue;
    if (s.kind === 'file') pieces.push({ text: `cat > '${s.destination}' <<'${EOF}'`, partial: false }, { text: s.text.replace(/\n$/, ''), partial: s.partial }, { text: EOF, partial: false });
    else pieces.push({ text: s.text, partial: s.kind === 'line' && s.partial });
  }
  const partial = pieces.some((p) => p.partial);
  if (!partial) return Buffer.from(pieces.map((p) => p.text).join('\n'), 'utf8').toString('base64');
  const text = pieces.map((p) => (p.partial ? p.text : p.text.replace(/\$\{/g, '$${').replace(/%\{/g, '%%{'))).join('\n');
  return `\${base64encode(${JSON.stringify(text)})}`;
}

/** Whether position `p` lies from `from` to `to` (same file, inclusive). */
function within(p: Position, from: Position, to: Position): boolean {
  if (p.file !== from.file) return false;
  const after = p.line > from.line || (p.line === from.line && p.column >= from.column);
  const before = p.line < to.line || (p.line === to.line && p.column <= to.column);
  return after && before;
}

/**
 * Which provisioner of an instance wrote the text at `at` (`file:line:column`, a finding's place):
 * `remote-exec` for a line of its `inline` list, `file` for the `content` a file provisioner writes,
 * `script` (with the file) for a line of a `script` / `scripts` file a remote-exec provisioner runs;
 * undefined where no step of `steps` writes it there (the user data does, or a file uploaded whole).
 * A finding about such a line names that provisioner, not the user data.
 */
export function provisionerAt(steps: readonly SetupStep[] | undefined, at: string): ({ by: 'remote-exec' | 'file' } | { by: 'script'; file: string }) & { step?: SetupStep } | undefined {
  const m = /^(.*):(\d+):(\d+)$/.exec(at);
  if (!m || !steps) return undefined;
  const p: Position = { file: m[1]!, line: Number(m[2]), column: Number(m[3]) };
  for (const s of steps) {
    if (s.kind === 'line' && !s.loc.json && within(p, s.loc.pos(s.offset), s.loc.pos(s.offset + s.written.length))) return { by: 'remote-exec', step: s };
    if (s.kind === 'file' && s.loc !== undefined && s.offset !== undefined && s.written !== undefined && !s.loc.json && within(p, s.loc.pos(s.offset), s.loc.pos(s.offset + s.written.length))) return { by: 'file', step: s };
    // A script is run whole: any place in its file is a line of it.
    if (s.kind === 'script' && s.file !== undefined && s.text !== undefined && p.file === s.file) return { by: 'script', file: s.file, step: s };
  }
  return undefined;
}

/** The resource a step's provisioner is written in, as a finding names it: the instance, or the resource connected to it (`null_resource.setup, connected to aws_instance.runner`). */
export function provisionerOwner(step: SetupStep | undefined, address: string): string {
  return step?.via !== undefined ? `${step.via}, connected to ${address}` : address;
}

/** How a finding names the script file `file` a remote-exec provisioner of `address` runs (its `script` or one of its `scripts`). */
export function scriptShown(file: string, address: string, step?: SetupStep): string {
  return `the script ${file} of the remote-exec provisioner of ${provisionerOwner(step, address)}`;
}

/**
 * What a finding at `at` names as the text it is in: `the remote-exec provisioner of <address>`,
 * `the file provisioner of <address>`, `the script <file> of the remote-exec provisioner of
 * <address>`, else `the user data of <address>`.
 */
export function setupTextOf(steps: readonly SetupStep[] | undefined, at: string, address: string): string {
  const by = provisionerAt(steps, at);
  if (by === undefined) return `the user data of ${address}`;
  return by.by === 'script' ? scriptShown(by.file, address, by.step) : `the ${by.by} provisioner of ${provisionerOwner(by.step, address)}`;
}

/**
 * The provisioner step that line `line` (1-based) of an instance's setup script (`setupScript`, `lines`
 * lines long) comes from; undefined for a line of its user data. The steps' pieces come last, in order,
 * so they are counted back from the end.
 */
export function setupStepOfLine(steps: readonly SetupStep[] | undefined, lines: number, line: number): SetupStep | undefined {
  return setupLineOf(steps, lines, line)?.step;
}

function spansOf(steps: readonly SetupStep[]): { step: SetupStep; lines: number }[] {
  const count = (t: string) => t.split('\n').length;
  return steps.filter((s) => s.text !== undefined).map((s) => ({ step: s, lines: s.kind === 'file' ? count(s.text!.replace(/\n$/, '')) + 2 : count(s.text!) }));
}

/**
 * As `setupStepOfLine`, with the line's number in the step's own text (1-based; a file step's
 * content starts on its second line, after the heredoc's head).
 */
export function setupLineOf(steps: readonly SetupStep[] | undefined, lines: number, line: number): { step: SetupStep; line: number } | undefined {
  if (!steps) return undefined;
  const spans = spansOf(steps);
  let end = lines;
  for (let i = spans.length - 1; i >= 0; i--) {
    const start = end - spans[i]!.lines + 1;
    if (line >= start && line <= end) return { step: spans[i]!.step, line: line - start + 1 };
    end = start - 1;
  }
  return undefined;
}
