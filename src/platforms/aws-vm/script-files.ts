import { cloudConfigFileSpan, isCloudConfig, isFileNamed } from './cloud-init.js';

/*
 * The files a boot script writes: one reader for the VM platforms' own checks (RF723 reads the
 * config.toml a generated or hand-written user data writes) and the doctor (which reads the
 * config.toml, the systemd units and the other files of user data it did not write).
 */

/** A heredoc of the user data that writes the file named `name` (`cat > '/etc/x/name' <<'EOF'` … `EOF`; isFileNamed); its body. */
export function heredoc(script: string, name: string): string | undefined {
  return heredocSpan(script, name)?.body;
}

/** A path as the shell reads it, quoted or not. */
const SHELL_PATH = String.raw`(?<q1>['"]?)(?<path>[^'"\s|<>]+)\k<q1>`;
/**
 * A heredoc's marker, quoted or not (`<<EOF`, `<<'EOF'`, `<<-"EOF"`, `<<\EOF`). A quoted marker, or
 * one with a backslash, leaves the body as written; an unquoted one has the shell expand `$`,
 * backquotes and backslashes in it (bash manual, "Here Documents").
 */
const MARKER = String.raw`<<-?\s*(?:(?<bs>\\)|(?<q2>['"]?))(?<marker>[A-Za-z0-9_]+)\k<q2>`;
const TO_NULL = String.raw`(?:\s*[12]?>\s*/dev/null)?`;
const SUDO = String.raw`(?:sudo\s+(?:-\S+\s+)*)?`;
/**
 * The lines that open a heredoc written to a file, as the shell reads them: `cat > path <<EOF`,
 * `cat <<EOF > path` (the redirect after the marker), `tee path <<EOF` and `cat <<EOF | sudo tee path`
 * (tee's copy to standard output sent to /dev/null or not); `>>` and `tee -a` append.
 */
const HEREDOC_OPENS = [
  String.raw`${SUDO}cat\s+(?<to>>>?)\s*${SHELL_PATH}\s*${MARKER}`,
  String.raw`${SUDO}cat\s+${MARKER}\s*(?<to>>>?)\s*${SHELL_PATH}`,
  String.raw`${SUDO}tee\s+(?<to>(?:-a|--append)\s+)?${SHELL_PATH}${TO_NULL}\s*${MARKER}${TO_NULL}`,
  String.raw`${SUDO}cat\s+${MARKER}\s*\|\s*${SUDO}tee\s+(?<to>(?:-a|--append)\s+)?${SHELL_PATH}${TO_NULL}`,
].map((form) => new RegExp(String.raw`^\s*${form}\s*$`));

/**
 * The lines that write one line of text to a file: `echo 'text' >> path`, `printf 'text\n' > path`,
 * `echo "text" | sudo tee -a path` (the text single- or double-quoted; `echo -n` and `printf` with no
 * `\n` write the line without its end, which the next line continues: such a line is not read).
 */
const ECHO_TEXT = String.raw`${SUDO}(?<cmd>echo|printf)\s+(?:'(?<single>[^']*)'|"(?<double>[^"]*)")`;
const ECHO_WRITES = [String.raw`${ECHO_TEXT}\s*(?<to>>>?)\s*${SHELL_PATH}`, String.raw`${ECHO_TEXT}\s*\|\s*${SUDO}tee\s+(?<to>(?:-a|--append)\s+)?${SHELL_PATH}${TO_NULL}`].map((form) => new RegExp(String.raw`^\s*${form}\s*$`));

/**
 * The line of text a line of the script writes to a file (ECHO_WRITES), as it is written: its text
 * where the shell leaves it as written (no `$`, backquote or backslash in double quotes; printf's
 * text with no `%` and no `\` but its one closing `\n`), at its column in the script line (the
 * characters before it blank), and whether it appends. Undefined for any other line, and for a
 * line whose text is not known so (`"$X"`, `printf 'a\nb\n'`): what it writes is not read.
 */
function echoWrite(line: string): { path: string; append: boolean; text: string } | undefined {
  for (const form of ECHO_WRITES) {
    const m = form.exec(line);
    const g = m?.groups;
    if (!m || !g) continue;
    const written = g.single ?? g.double!;
    let text = written;
    if (g.double !== undefined && /[$`\\]/.test(text)) return undefined;
    if (g.cmd === 'printf') {
      if (!text.endsWith('\\n')) return undefined;
      text = text.slice(0, -2);
      if (/[%\\]/.test(text)) return undefined;
    }
    const quote = g.single !== undefined ? "'" : '"';
    const column = line.indexOf(`${quote}${written}${quote}`, line.search(/echo|printf/)) + 1;
    return { path: g.path!, append: g.to !== undefined && g.to.trim() !== '>', text: `${' '.repeat(column)}${text}` };
  }
  return undefined;
}

/** The file a line opens a heredoc for, its marker, whether the heredoc appends to it and whether the shell expands its body. */
function heredocOpen(line: string): { path: string; marker: string; append: boolean; expands: boolean } | undefined {
  for (const form of HEREDOC_OPENS) {
    const g = form.exec(line)?.groups;
    if (g) return { path: g.path!, marker: g.marker!, append: g.to !== undefined && g.to.trim() !== '>', expands: g.bs === undefined && !g.q2 };
  }
  return undefined;
}

/**
 * The file `file` a user data writes, its body and the lines it spans (first and last body line,
 * 0-based, end exclusive): a shell heredoc (`cat > path <<EOF`, and the other forms of HEREDOC_OPENS),
 * and lines of text `echo` or `printf` writes to it (ECHO_WRITES: each one line of the body, in order
 * with the heredocs, its `>` a write and its `>>` or `tee -a` an append as a heredoc's),
 * or in a cloud-init user data (`#cloud-config`) a `write_files` entry whose `content` is a YAML block scalar.
 * A heredoc that appends (`cat >> path`, `tee -a path`) adds its lines to what the file held before.
 * After a heredoc that writes the file, the file is known: each append is read after it, in order,
 * whole (its keys before a table header continue the table the file ends in), until another heredoc
 * writes the file anew; the body then joins the heredocs, `lines` gives the script line of each of
 * its lines and `parts` the lines each heredoc's body spans. An append with no write before it adds
 * to what the script does not show: keys before the body's first table header belong to whatever
 * table that old content ends in, so only the body from its first table header on is known
 * (`append` says so); an append with no table header says nothing known and is passed over.
 */
export function heredocSpan(script: string, name: string): HeredocSpan | undefined {
  const lines = script.split('\n');
  let found: { body: string[]; map: number[]; parts: { from: number; to: number }[]; append: boolean; expanded: number[] } | undefined;
  for (let i = 0; i < lines.length; i++) {
    // A line of text written by echo or printf: one line of the file, in its place among the heredocs.
    const e = echoWrite(lines[i]!);
    if (e !== undefined && isFileNamed(e.path, name)) {
      if (found !== undefined && !e.append) break;
      if (found === undefined && e.append && !/^\s*\[/.test(e.text)) continue;
      found ??= { body: [], map: [], parts: [], append: e.append, expanded: [] };
      found.body.push(e.text);
      found.map.push(i);
      found.parts.push({ from: i, to: i + 1 });
      continue;
    }
    const m = heredocOpen(lines[i]!);
    if (!m || !isFileNamed(m.path, name)) continue;
    const end = lines.findIndex((l, j) => j > i && l.trim() === m.marker);
    if (end < 0) {
      if (found === undefined) return undefined;
      break;
    }
    // A second write starts the file anew (another branch of the script, often): the first one is read.
    if (found !== undefined && !m.append) break;
    const from = found !== undefined || !m.append ? i + 1 : lines.findIndex((l, j) => j > i && j < end && /^\s*\[/.test(l));
    if (from < 0) {
      i = end;
      continue;
    }
    found ??= { body: [], map: [], parts: [], append: m.append, expanded: [] };
    for (let j = from; j < end; j++) {
      if (m.expands) found.expanded.push(found.body.length);
      found.body.push(lines[j]!);
      found.map.push(j);
    }
    found.parts.push({ from, to: end });
    i = end;
  }
  if (found === undefined) return isCloudConfig(script) ? cloudConfigFileSpan(script, name) : undefined;
  const first = found.parts[0]!;
  const span: HeredocSpan = { body: `${found.body.join('\n')}\n`, from: first.from, to: found.parts[found.parts.length - 1]!.to };
  if (found.append) span.append = true;
  if (found.expanded.length > 0) span.expanded = found.expanded;
  if (found.parts.length > 1) {
    span.lines = found.map;
    span.parts = found.parts;
  }
  return span;
}

/**
 * A file a script writes (heredocSpan): its body, the script lines it spans, where the body joins
 * several heredocs the script line of each body line (`lines`) and each heredoc's span (`parts`).
 */
export interface HeredocSpan {
  body: string;
  from: number;
  to: number;
  indent?: string;
  append?: true;
  /** The body lines (0-based) the shell expands (`$`, backquotes) before writing them: those of a heredoc whose marker is not quoted. */
  expanded?: number[];
  lines?: number[];
  parts?: { from: number; to: number }[];
}
