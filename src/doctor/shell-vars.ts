import { isMakefileName } from '../io/file-names.js';

/**
 * Variables a shell script or a Makefile sets to a literal: the doctor's one reader of them, for
 * three uses that differ on purpose.
 *
 * - `assignedInForce(script, until, why)`: the shell's, in order: the value in force at one place
 *   (`until`) of a script that runs top to bottom once (user data that runs `gitlab-runner
 *   register`, vm.ts), with why a name is not known (`why`). Its values are the shell's literals
 *   (`"…"` without `$`, `'…'` as written, a bare word): a value that expands (`B=$A`) is one only
 *   the run knows, so there are no chains here (a `$` in `'…'` is a literal character).
 * - `assignedOnce(text, { makefile })`: a name set once to a literal anywhere in the file (two
 *   different literals, or any other change of the name anywhere, `X="$(cmd a)"`, `read X`, `X+=b`,
 *   make's `X += b` or `define X`: null, which holds is not known), for commands in Makefiles, scripts and CI
 *   files (helm-command.ts, kubectl-create.ts). Order does not count here because make's variables
 *   are the file's (`X = v` is expanded where it is used, after the whole Makefile is read: GNU make
 *   manual, "The Two Flavors of Variables") and a command in a make target or a CI job runs after
 *   every assignment of the file is read. make's operators (`X := v`, `X ?= v`, `X ::= v`, `X = v`,
 *   blanks around them allowed, `override`/`export`/`private` before the name) are read in a Makefile
 *   only: in a script `X = v` runs the command X.
 *   Values are words of paths, chart references and names, and may name other variables (chains);
 *   a caller that wants a name (kubectl-create.ts: a DNS-1123 name) checks the word it expands to,
 *   so a name set from another variable is read as a path is.
 * - `inForce(script).at(offset)`: the shell's, in order, for the helm and kubectl commands of a `.sh`
 *   script (stop 60d): the names in force where each command runs, as assignedInForce reads them but
 *   also per command of a chain (`NS=a; helm …`, `NS=a && helm …`), a value naming others expanded
 *   where it is assigned. One pass and a binary search per name looked up: linear in the script
 *   (n log n in its commands), never a pass per command. Which mode is right where: a script runs top
 *   to bottom once, so order counts (`NS=a; helm …; NS=b; helm …` is two namespaces). A Makefile's
 *   variables are the file's, read whole before any recipe runs, and its recipes run in target
 *   order, not file order: set once. A GitLab CI job's `script:` lines run in one shell in order, but
 *   the file holds many jobs that run in stage order, each its own shell, and a job's `variables:`
 *   are not shell lines: the file's lines are no one run, so set once there too. A command in a
 *   script's function body runs where the function is called, which is not followed: set once. A
 *   function whose body is a subshell (`f() ( … )`, `function f ( … )`, stop 61d) runs it in its own
 *   process: what it assigns is never in force outside it, called or not (a `{ … }` body's changes
 *   are the caller's: not known after it). A plain subshell `( … )` likewise (stop 62d): what it sets
 *   is in force inside it only; after it the names are as they were before it opened.
 * - `makeVarsAt(text).at(offset)` (stop 62d): a Makefile's, per recipe: the file's set once, and a
 *   target's own `t: X = v` in t's recipe (not known in its prerequisites', which also run alone).
 * - A Makefile's recipe lines are the shell's (`\tNS=b ./x`): they set no make variable (withoutRecipes).
 * - Each reader's VarSource also says where a value it gives was written (`at(name)`, stop 65b): the
 *   offset of the literal of the one assignment it came from (inForce: the one in force at the
 *   command; assignedOnce: the one line that sets it), so a finding about the value (RF948 of
 *   `helm -n "$NS"`) is said where it is corrected, by the reader that read it. inForce also gives
 *   an array `A=(` no `)` closes (`unclosed`): bash stops with a syntax error before its line runs.
 * - `expandWord(word, vars, { makefile })`: a word with the variables of `assignedOnce` put in,
 *   each chain followed (`a=$B` over `B=x`, at most 8 deep; a cycle is not known). In a script a
 *   `$` inside `'…'` is a literal character: the callers give such a word with it behind a `\`
 *   (shellWords' `escaped`, scriptWord), and a value set in `'…'` is kept so, as written. In a
 *   Makefile make expands `$(X)` wherever it is, quotes or not, before the recipe's shell runs, and
 *   its `'$$X'` reaches the shell as `'$X'`, which the shell keeps as written (recipeWord, stop 61d).
 *
 * Each reads a line with one linear regex or one pass (no `^\s*` under the `m` flag, no nested quantifiers).
 */

/** A variable's name: the shell's and make's alike (make allows more, which no caller reads). */
const NAME = '[A-Za-z_][A-Za-z0-9_]*';
/** After the value, blanks and a comment may follow: a `#` after a blank starts one in make and the shell alike. */
const TAIL = '(?:[ \\t]+(?:#[^\\n]*)?)?$';
/** A value that is a word of a path, a chart reference, a version or a name, possibly naming variables (`$(A)`, `${A}`, `$A`), in one pair of quotes or none. */
const WORD_VALUE = `(["']?)([A-Za-z0-9./_\${(][A-Za-z0-9._/:@+\${}()-]*)["']?`;
/** make's words before a variable's name: `override` (the value wins over the command line's), `export`, `private`. */
const MAKE_PREFIX = '(?:(?:override|export|private)[ \\t]+)?';
/** make's assignment operators (recursive `=`, simple `:=`/`::=`, conditional `?=`), blanks around them allowed. */
const MAKE_ASSIGNMENT = new RegExp(`^[ \\t]*${MAKE_PREFIX}(${NAME})[ \\t]*(?::=|\\?=|::=|=)[ \\t]*${WORD_VALUE}${TAIL}`, 'dgm');
/** Every operator of make that sets a variable (GNU make manual, "Setting Variables", "Appending"): also `+=`, `!=` (a command's output) and `:::=`. */
const MAKE_OPERATOR = '(?:\\+=|!=|:::=|::=|:=|\\?=|=)';
/**
 * Any line of a Makefile that sets a variable: `X op value` with any value (MAKE_ASSIGNMENT takes a
 * literal word only), `define X` … `endef` and `undefine X` ("Defining Multi-Line Variables",
 * "Undefining Variables"), and a target's own value `t: X = v` ("Target-specific Variable Values"),
 * which holds in that target's recipe only. One regex each, each linear in the line.
 */
const MAKE_SETTERS = [
  new RegExp(`^[ \\t]*${MAKE_PREFIX}${MAKE_PREFIX}(${NAME})[ \\t]*${MAKE_OPERATOR}`, 'gm'),
  new RegExp(`^[ \\t]*${MAKE_PREFIX}${MAKE_PREFIX}(?:define|undefine)[ \\t]+(${NAME})`, 'gm'),
  new RegExp(`^[^:#=\\n \\t][^:#=\\n]*:[ \\t]*${MAKE_PREFIX}${MAKE_PREFIX}(${NAME})[ \\t]*${MAKE_OPERATOR}`, 'gm'),
];
/**
 * make's `$(eval X = v)` (`${eval …}`, any operator, `override`/`export` before the name): the text is
 * read as a line of the Makefile when make expands it (GNU make manual, "The eval Function"), in a
 * recipe when the recipe runs, so it is a change of X. 1: the name, 2: the operator, 3: a literal value
 * (no `$`, no blank), 4: the `)` or `}` right after it. Starts only at `$(eval`; each part a class the next cannot take.
 */
const MAKE_EVAL = new RegExp(`\\$[({]eval[ \t]+${MAKE_PREFIX}${MAKE_PREFIX}(${NAME})[ \t]*(${MAKE_OPERATOR})[ \t]*([A-Za-z0-9._/:@+-]*)[ \t]*([)}])?`, 'g');
/** `$(eval $(NAME))`, `$(eval $(call NAME, …))`, `$(eval $(value NAME))`: the text of the variable NAME (a `define`'s body) read as Makefile lines. */
const MAKE_EVAL_OF = new RegExp(`\\$[({]eval[ \t]+\\$[({](?:(?:call|value)[ \t]+)?(${NAME})`, 'g');
/**
 * `$(eval $(shell …))`, `$(eval $(foreach …))`, `$(eval $(file < …))`: make reads the output of a
 * function other than `call`, `value` and `eval` (read above) as Makefile lines, which only make knows (make 4.3 with
 * `NS = a` and `$(eval $(shell echo NS = b))` prints b): any name may be set by it.
 */
const MAKE_EVAL_FUNCTION = new RegExp(`\\$[({]eval[ \t]+\\$[({](?!(?:call|value|eval)[ \t])${NAME}[ \t]`);
/** A line of a Makefile (not a recipe's: no tab first) that opens or closes a `define` (GNU make manual, "Defining Multi-Line Variables": they nest). */
const DEFINE_LINE = new RegExp(`^ *${MAKE_PREFIX}${MAKE_PREFIX}define[ \t]+(${NAME})`);
const ENDEF_LINE = /^ *endef(?:[ \t#]|$)/;

/**
 * A Makefile's text split at its `define NAME` … `endef` bodies, each line kept where it is (a body's
 * lines are empty in `outside`, every other line empty in `evaluated`): a body is a variable's value,
 * not lines of the Makefile, so what it assigns is no assignment of the file; only where the file
 * hands it to `$(eval …)` (MAKE_EVAL_OF) are its lines read as the Makefile's, and they are kept in
 * `evaluated`. One pass over the lines.
 */
function defineBodies(text: string, count?: { steps: number }): { outside: string; evaluated: string } {
  if (!text.includes('define')) return { outside: text, evaluated: '' };
  const evaluatedNames = new Set<string>();
  for (const m of text.matchAll(MAKE_EVAL_OF)) evaluatedNames.add(m[1]!);
  const outside: string[] = [];
  const evaluated: string[] = [];
  let depth = 0;
  let keep = false;
  for (const line of text.split('\n')) {
    if (count) count.steps++;
    const opens = line[0] !== '\t' ? DEFINE_LINE.exec(line) : null;
    if (depth === 0) {
      outside.push(line);
      evaluated.push('');
      if (opens) [depth, keep] = [1, evaluatedNames.has(opens[1]!)];
      continue;
    }
    if (opens) depth++;
    else if (line[0] !== '\t' && ENDEF_LINE.test(line)) depth--;
    outside.push('');
    evaluated.push(depth > 0 && keep ? line : '');
  }
  return { outside: outside.join('\n'), evaluated: evaluated.join('\n') };
}

/** A rule's line (not a recipe's, not a conditional's): targets, then `:` or `::` that is no assignment operator (`:=`, `::=`, `:::=`). */
const RULE_LINE = /^(?!(?:ifeq|ifneq|ifdef|ifndef|else|endif|define|endef|include|-include|sinclude|export|unexport|override|private|vpath)\b)[^\t#=:\n][^#=:\n]*::?(?!:?:?=)/;
/** A conditional's line, which a recipe may hold without ending it. */
const CONDITIONAL_LINE = /^[ ]*(?:ifeq|ifneq|ifdef|ifndef|else|endif)\b/;
/** A target-specific assignment (`t: X = v`): a rule's line by RULE_LINE's shape, but it opens no recipe. */
const TARGET_ASSIGNMENT = new RegExp(`^[^:#=\\n \\t][^:#=\\n]*:[ \\t]*${MAKE_PREFIX}${MAKE_PREFIX}${NAME}[ \\t]*${MAKE_OPERATOR}`);

/**
 * A Makefile's text with its recipes' lines blanked (each line kept where it is): a line that starts
 * with a tab after a rule's line is a command for the shell (`\tNS=b ./x` runs ./x with NS in its
 * environment), not a line of the Makefile, until a line of the Makefile other than a comment, an
 * empty line or a conditional ends the rule (GNU make manual, "Recipe Syntax"; make 4.3 reads a tab
 * line after a variable's assignment, or before any rule, as a Makefile line: checked by hand). A
 * recipe line ending in `\` goes on to the next. One pass over the lines.
 */
function withoutRecipes(text: string, count?: { steps: number }): string {
  if (!text.includes('\t')) return text;
  const out: string[] = [];
  let rule = false;
  let continued = false;
  for (const line of text.split('\n')) {
    if (count) count.steps++;
    const recipe = continued || (rule && line[0] === '\t');
    if (recipe) {
      out.push('');
      continued = /\\\r?$/.test(line);
      continue;
    }
    out.push(line);
    continued = false;
    if (line.trim() === '' || line.trimStart()[0] === '#' || CONDITIONAL_LINE.test(line)) continue;
    rule = line[0] !== '\t' && RULE_LINE.test(line) && !TARGET_ASSIGNMENT.test(line);
  }
  return out.join('\n');
}

/** A Makefile's line that sets a name to any value (one line): 1 the name, 2 the value as written. */
const MAKE_ANY_VALUE = new RegExp(`^[ \\t]*${MAKE_PREFIX}${MAKE_PREFIX}(${NAME})[ \\t]*${MAKE_OPERATOR}[ \\t]*([^\\n]*)`, 'gm');
/** A reference to a variable in a value: `$(NAME)`, `${NAME}`. */
const MAKE_NAMED = new RegExp(`\\$[({](${NAME})[)}]`, 'g');

/**
 * The names set by the one-line values `$(eval $(X))` hands to make as Makefile lines (GNU make
 * manual, "The eval Function": its argument is expanded, then parsed as makefile syntax): with
 * `SET = NS = b` and `$(eval $(SET))`, NS is then b (make 4.3 prints b). X's values are read so, and
 * those of the names they refer to (`SET = $(B)`, `B = NS := c`), each name once: linear in the
 * values read. `outside` is the Makefile's lines (no recipe, no define body); `whole` holds the evals.
 */
function evaluatedValues(whole: string, outside: string, count?: { steps: number }): Set<string> {
  const wanted = new Set<string>();
  for (const m of whole.matchAll(MAKE_EVAL_OF)) wanted.add(m[1]!);
  const set = new Set<string>();
  if (wanted.size === 0) return set;
  const values = new Map<string, string[]>();
  for (const m of outside.matchAll(MAKE_ANY_VALUE)) {
    if (count) count.steps++;
    const list = values.get(m[1]!);
    if (list) list.push(m[2]!);
    else values.set(m[1]!, [m[2]!]);
  }
  const queue = [...wanted];
  for (let i = 0; i < queue.length; i++) {
    for (const value of values.get(queue[i]!) ?? []) {
      if (count) count.steps++;
      for (const re of [MAKE_SETTERS[0]!, MAKE_EVAL]) for (const m of value.matchAll(re)) set.add(m[1]!);
      for (const m of value.matchAll(MAKE_NAMED)) {
        if (!wanted.has(m[1]!)) {
          wanted.add(m[1]!);
          queue.push(m[1]!);
        }
      }
    }
  }
  return set;
}

/** make's `override X op …` (`export` before or after `override`), and `override define X`: its name. */
const MAKE_OVERRIDE = new RegExp(`^[ \\t]*(?:export[ \\t]+)?override[ \\t]+(?:export[ \\t]+)?(?:(?:define|undefine)[ \\t]+)?(${NAME})(?:[ \\t]*${MAKE_OPERATOR}|[ \\t]*$)`, 'gm');
/**
 * The words before a shell assignment that keep its value as written (bash 5.2, checked with `bash -c`):
 * `export`, `export -n` (unexports, and sets), `readonly`, and `declare`, `typeset`, `local` with no
 * flag or only `-r`, `-x`, `-g` (`declare -r R=b; echo $R` prints b). Flags that change the value
 * (`-l`, `-u` change its case, `-i` evaluates it, `-a`/`-A` make an array, `-n` a name reference) are
 * not: such an assignment's value is not known (shellAssignments). `local` outside a function sets
 * nothing (bash: "local: can only be used in a function").
 */
const DECLARE_PREFIX = '(?:(?:export(?:[ \\t]+-n)?|readonly|(?:declare|typeset|local)(?:[ \\t]+-[rxg]+)*)[ \\t]+)?';
/** The shell's `NAME=value` (`export NAME=value`, `readonly NAME=value`, `declare NAME=value`: bash 5.2 sets NAME by each, DECLARE_PREFIX): no blank before or after the `=`. */
const SHELL_ASSIGNMENT = new RegExp(`^[ \\t]*${DECLARE_PREFIX}(${NAME})=${WORD_VALUE}${TAIL}`, 'dgm');

/**
 * A script's word as written (quotes and all) in the form expandWord takes: its quotes removed, a `$`
 * or `\` inside `'…'` behind a `\` (a literal character, not expanded). One pass.
 */
export function scriptWord(raw: string): string {
  let out = '';
  let quote: string | undefined;
  for (const c of raw) {
    if (quote === undefined && (c === '"' || c === "'")) quote = c;
    else if (c === quote) quote = undefined;
    else out += quote === "'" && (c === '$' || c === '\\') ? `\\${c}` : c;
  }
  return out;
}

/** Whether make's forms apply to a file by its name. */
export const makefileForms = (path: string): { makefile: boolean } => ({ makefile: isMakefileName(path) });

/**
 * The variables a script or Makefile sets once to a literal (a name, a path, a chart reference, a
 * version), by name; null for one set to two different literals (which one holds is not known), and
 * for one also set otherwise anywhere in the file: a value that is not one literal word (`X="$(cmd
 * a)"`, `X=$(cmd) && …`), `read X`, `for X in`, `unset X`, `X+=b`, `local X`, and in a Makefile `X +=
 * b`, `X != cmd`, `X := $(shell …)`, `define X`, a target's own `t: X = v` (MAKE_SETTERS). A script's
 * changes are read by the same reader as assignedInForce's (shellAssignments). A script (or CI
 * file) that runs `source`, `.` or `eval` anywhere may set any name there, and order does not count
 * here: no name is known (stop 60d). A Makefile's recipe that sources a file changes its own shell's
 * names, not make's variables, so a Makefile's stay read. In a Makefile (stop 61d): a `define` body's
 * lines are a value, not assignments of the file, unless the file hands the body to `$(eval …)`
 * (then each name they set is not known); `$(eval X = v)` is another assignment of X (a literal the
 * same as every other keeps X known; any other makes it not known); after `override X = …` only
 * assignments marked override count. `count.steps`, where given, counts the lines and matches read.
 */
export function assignedOnce(text: string, options: { makefile: boolean }, count?: { steps: number }): VarMap {
  const out = new VarMap(text);
  // The lines (1-based) where each name is set to a literal; a change of it at any other line makes it not known.
  const literalAt = new Map<string, Set<number>>();
  const assignment = options.makefile ? MAKE_ASSIGNMENT : SHELL_ASSIGNMENT;
  // A Makefile's `define` bodies are values, not its lines (defineBodies); one handed to `$(eval …)` may set any name it assigns.
  const { outside: whole, evaluated } = options.makefile ? defineBodies(text, count) : { outside: text, evaluated: '' };
  // A recipe's lines are the shell's, not the Makefile's: they set no make variable (a recipe's `$(eval …)` is make's, read below in `whole`).
  const outside = options.makefile ? withoutRecipes(whole, count) : whole;
  // `override X = v`: later assignments of X not marked override are ignored (GNU make manual, "The override Directive"): only its own count.
  const overridden = new Map<string, Set<number>>();
  if (options.makefile && outside.includes('override')) {
    for (const { m, line } of withLines(outside, MAKE_OVERRIDE, count)) overridden.set(m[1]!, (overridden.get(m[1]!) ?? new Set()).add(line));
  }
  const ignored = (name: string, line: number): boolean => overridden.get(name)?.has(line) === false;
  const literal = (name: string, value: string, line: number, column?: number) => {
    if (ignored(name, line)) return;
    out.set(name, out.has(name) && out.get(name) !== value ? null : value);
    literalAt.set(name, (literalAt.get(name) ?? new Set()).add(line));
    out.written(name, line, column);
  };
  for (const { m, line, column } of withLines(outside, assignment, count)) {
    // In a script `X=(a)` is an array (bash: `$X` is its first element, a), no literal word: left to shellAssignments, which makes X not known.
    if (!options.makefile && m[2] === '' && m[3]!.startsWith('(')) continue;
    // In a script `'…'` is literal: `X='$A'` sets X to the characters `$A`, which expandWord keeps as written (`\$`).
    literal(m[1]!, !options.makefile && m[2] === "'" ? m[3]!.replace(/\$/g, '\\$') : m[3]!, line, column + m.indices![3]![0] - m.index!);
  }
  // `$(eval X = v)` changes X where make expands it: a literal one counts as another assignment (the same value in every one, known; two, not); any other, not known.
  const evals: string[] = [];
  if (options.makefile && whole.includes('eval')) {
    for (const { m, line } of withLines(whole, MAKE_EVAL, count)) {
      // `$(eval override X = v)` wins over an `override X = …` too: it is never ignored.
      if (/\boverride\b/.test(m[0])) overridden.get(m[1]!)?.add(line);
      if (/^(?::?:?=|\?=)$/.test(m[2]!) && m[3] !== '' && m[4] !== undefined) literal(m[1]!, m[3]!, line);
      else if (!ignored(m[1]!, line)) evals.push(m[1]!);
    }
  }
  const taken = (name: string, from: number, to: number): boolean => {
    const at = literalAt.get(name);
    if (at === undefined) return false;
    for (let n = from; n <= to; n++) if (at.has(n)) return true;
    return false;
  };
  if (options.makefile) {
    for (const setter of MAKE_SETTERS) for (const { m, line } of withLines(outside, setter, count)) if (!taken(m[1]!, line, line) && !ignored(m[1]!, line)) out.set(m[1]!, null);
    for (const name of evals) out.set(name, null);
    // The lines of a body handed to `$(eval …)` are the Makefile's when make reads them, often with `$(1)` put in: each name they set, not known.
    if (evaluated !== '') for (const re of [MAKE_ASSIGNMENT, MAKE_EVAL, ...MAKE_SETTERS]) for (const m of evaluated.matchAll(re)) out.set(m[1]!, null);
    // `$(eval $(SET))` with `SET = NS = b` (one line): the value is read as a Makefile line too, and so is that of each name it refers to (`SET = $(B)`).
    if (whole.includes('eval')) for (const name of evaluatedValues(whole, outside, count)) out.set(name, null);
    // `$(eval $(shell …))`: what it sets only make knows, so no name is known.
    if (whole.includes('eval') && MAKE_EVAL_FUNCTION.test(whole)) for (const name of out.keys()) out.set(name, null);
  } else if (text.includes('=') || /\b(?:read|for|select|unset|printf|mapfile|readarray|let|getopts)\b/.test(text)) {
    let any = false;
    for (const a of shellAssignments(text).assignments) {
      // `NAME=…` as a command of its own (not after `&&`, `||` or `|`) is the literal regex's where it takes the line.
      const plain = a.value !== undefined || a.by === UNKNOWN_VALUE;
      if (a.name === '*') any = true;
      else if (!plain || !taken(a.name, a.line, a.end)) out.set(a.name, null);
    }
    // `source FILE`, `. FILE` or `eval …` may set any name, and order does not count here: no name is known.
    if (any) for (const name of out.keys()) out.set(name, null);
  }
  return out;
}

/** Each match of a `g` regex with the 1-based line it starts on and its column there (0-based): one pass over the text. */
function* withLines(text: string, re: RegExp, count?: { steps: number }): Generator<{ m: RegExpMatchArray; line: number; column: number }> {
  let line = 1;
  let from = 0;
  let lineStart = 0;
  for (const m of text.matchAll(re)) {
    for (let nl = text.indexOf('\n', from); nl >= 0 && nl < m.index; nl = text.indexOf('\n', nl + 1)) {
      line++;
      lineStart = nl + 1;
      if (count) count.steps++;
    }
    from = m.index;
    if (count) count.steps++;
    yield { m, line, column: m.index - lineStart };
  }
}

/**
 * assignedOnce's names and values, and where each known value is written: `at(name)` is the offset
 * in the file of the value of the one line that sets it (inside its quotes, where it has them), for
 * a finding about the value to be said where it is corrected; undefined where no line, or more than
 * one (the same literal twice), sets it to a literal (the value is then not one place's). The readers
 * blank lines rather than remove them (a recipe's, a define body's), so a line and a column locate it.
 */
export class VarMap extends Map<string, string | null> implements VarSource {
  readonly #text: string;
  /** Per name: the line and column of its value, or null where more than one line sets it. */
  readonly #places = new Map<string, { line: number; column: number | undefined } | null>();
  constructor(text: string) {
    super();
    this.#text = text;
  }
  /** A line that sets `name` to a literal, the value at `column` of it (undefined: not a literal as written). */
  written(name: string, line: number, column: number | undefined): void {
    const p = this.#places.get(name);
    this.#places.set(name, p === undefined ? { line, column } : p !== null && p.line === line ? p : null);
  }
  at(name: string): number | undefined {
    const p = this.#places.get(name);
    const value = this.get(name);
    // A value naming other variables (`NS=$A`, make's `NS = $(A)`) is not written here: no place of it.
    if (typeof value !== 'string' || value.replace(/\\[\\$]/g, '').includes('$') || !p || p.column === undefined) return undefined;
    let start = 0;
    for (let n = 1; n < p.line && start >= 0; n++) start = this.#text.indexOf('\n', start) + 1 || -1;
    return start < 0 ? undefined : start + p.column;
  }
}

/**
 * The shell's `${X}` and `$X` (and `$(…)`, a command's output), or a `$` before anything else; `\$`
 * and `\\` are a literal `$` and `\` (POSIX Shell Command Language 2.2.1: a backslash keeps the
 * character after it; shellWords writes a `$` of `'…'` so).
 */
const SHELL_REFERENCE = /\\([\\$])|\$(?:\(([^()]*)\)|\{([^{}]*)\}|([A-Za-z_][A-Za-z0-9_]*)|(.?))/g;
/**
 * make's `$(X)`, `${X}`, and `$` before one other character, the one-letter variable of that name
 * (`$NS` is `$(N)` then `S`: GNU make manual, "Basics of Variable References"); `$$` is a `$` the
 * shell then expands when the recipe runs, so it is not known here. `\$` and `\\` are a literal `$`
 * and `\` (recipeWord's form: a `$$` the recipe's shell keeps inside `'…'`).
 */
const MAKE_REFERENCE = /\\([\\$])|\$(?:\(([^()]*)\)|\{([^{}]*)\}|([^$(){}])|(\$?))/g;

/**
 * A Makefile recipe's word in the form expandWord takes with `makefile`: `escaped` is the word's
 * escaped form (shellWords' `escaped`, scriptWord: each `$` or `\` written inside `'…'` behind a
 * `\`), `text` the word without it. make turns `$$` into `$` before the recipe's shell reads its
 * quotes (GNU make manual, "Using Variables in Recipes"), so `'$$X'` reaches the shell as `'$X'`,
 * which it keeps as written (POSIX Shell Command Language 2.2.2: every character inside single
 * quotes is literal): the characters `$X`, given here behind a `\` (`\$X`). make's own `$(X)` is
 * expanded wherever it is, quotes or not; a `$$` outside `'…'` is the shell's variable, known only
 * when the recipe runs. Every other `\` is a literal character, written `\\`. One pass.
 */
export function recipeWord(text: string, escaped?: string): string {
  if (escaped === undefined) return text.replace(/\\/g, '\\\\');
  let out = '';
  for (let i = 0; i < escaped.length; i++) {
    const c = escaped[i]!;
    if (c === '\\' && escaped[i + 1] === '$') {
      // `'$$'`: make's `$$`, a `$` the shell keeps; `'$(X)'`: make's reference, expanded.
      const both = escaped[i + 2] === '\\' && escaped[i + 3] === '$';
      out += both ? '\\$' : '$';
      i += both ? 3 : 1;
    } else if (c === '\\') {
      out += '\\\\';
      if (escaped[i + 1] === '\\') i++;
    } else out += c;
  }
  return out;
}

/**
 * A word with its variables (`${X}`, `$X`; in a Makefile `$(X)`, `${X}`, and `$N` for the one-letter N) replaced by what the same file
 * assigns them (assignedOnce), itself expanded so (`ns=$GLR_MANAGER` over `export
 * GLR_MANAGER='glr-manager'`; at most 8 assignments deep); undefined where any is not so assigned,
 * is in a cycle (`a=$b`, `b=$a`), or the word holds another expansion (`${X:-d}`, `` ` ``, and in a
 * script `$(cmd)`, a command's output): known only when the command runs.
 */
export function expandWord(word: string, vars: VarSource, options: { makefile: boolean }): string | undefined {
  // Each variable expanded once per word (a value naming another many times stays linear); one being expanded is a cycle when met again.
  const done = new Map<string, string | undefined>();
  const expand = (w: string, depth: number): string | undefined => {
    if (w.includes('`') || depth > 8) return undefined;
    let unknown = false;
    const out = w.replace(options.makefile ? MAKE_REFERENCE : SHELL_REFERENCE, (_m, ...groups: (string | undefined)[]) => {
      const [escaped, p, b, bare] = groups;
      if (escaped !== undefined) return escaped;
      // `$(X)` is make's variable; in the shell it runs the command X.
      const name = (options.makefile ? p : undefined) ?? b ?? bare;
      const raw = name !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? vars.get(name) : undefined;
      if (typeof raw === 'string' && raw.includes('$') && !done.has(name!)) {
        done.set(name!, undefined);
        done.set(name!, expand(raw, depth + 1));
      }
      const value = typeof raw === 'string' && raw.includes('$') ? done.get(name!) : raw;
      if (typeof value !== 'string') unknown = true;
      return value ?? '';
    });
    return unknown || out.length > 4096 ? undefined : out;
  };
  return expand(word, 0);
}

/**
 * A whole line that assigns a literal value (`NAME=value`, `export NAME="value"`), in the shell's
 * quoting: unlike WORD_VALUE, any characters inside quotes (a register flag's value may hold blanks),
 * and no `$` outside single quotes (assignedInForce has no chains, above).
 */
const LITERAL_ASSIGNMENT = new RegExp(`^[ \\t]*${DECLARE_PREFIX}([A-Za-z_][A-Za-z0-9_]*)=` + '(?:"([^"$`\\\\]*)"|\'([^\']*)\'|([^\\s"\'$`;&|()]*))[ \\t]*$');
/** Shell words that open, branch and close a compound command whose body may not run (or not before the command). */
const OPENERS = new Set(['if', 'case', 'for', 'while', 'until', 'select', '{', '(']);
const BRANCHES = new Set(['else', 'elif']);
const CLOSERS = new Set(['fi', 'esac', 'done', '}', ')']);
/** Words after which the next word is a command again. */
const LEADS = new Set(['then', 'do', 'else', 'elif', 'if', 'while', 'until', '!', '{', '(']);
/** A heredoc's start (`<<EOF`, `<<-'EOF'`, not a here-string `<<<`): its body is data, not script. */
const HEREDOC = /(?<!<)<<(-?)[ \t]*(?:'([^'\n]+)'|"([^"\n]+)"|\\?([A-Za-z_][A-Za-z0-9_-]*))/g;
/** A Terraform template directive that makes what follows conditional or repeated (`%{ if … }`, `%{ for … }`). */
const DIRECTIVE = /%\{~?[ \t]*(if|for|else|endif|endfor)\b/g;

/**
 * A line with its quoted text and command substitutions emptied (`"…"` → `""`, `$(…)` → `$()`) and its
 * comment cut. With `at`, the index in `line` of each character of the result is pushed to it (a
 * closing quote's or parenthesis's at the closing one), so a segment of the result is found in the line.
 */
function structural(line: string, at?: number[]): string {
  let out = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"' || c === "'" || c === '`') {
      let close = line.indexOf(c, i + 1);
      // `$'…'` (ANSI-C quoting): a `\'` inside does not close it (LogicalLines).
      if (c === "'" && line[i - 1] === '$') {
        close = i + 1;
        while (close < line.length && line[close] !== "'") close += line[close] === '\\' ? 2 : 1;
        if (close >= line.length) close = -1;
      }
      out += c === '`' ? '$()' : `${c}${c}`;
      at?.push(...(c === '`' ? [i, i, close < 0 ? line.length - 1 : close] : [i, close < 0 ? line.length - 1 : close]));
      if (close < 0) break;
      i = close;
    } else if (c === '$' && line[i + 1] === '(') {
      let depth = 0;
      let j = i + 1;
      for (; j < line.length; j++) {
        if (line[j] === '(') depth++;
        else if (line[j] === ')' && --depth === 0) break;
      }
      out += '$()';
      at?.push(i, i + 1, Math.min(j, line.length - 1));
      i = j;
    } else if (c === '#' && (i === 0 || /[ \t;&|]/.test(line[i - 1]!))) break;
    else {
      out += c;
      at?.push(i);
    }
  }
  return out;
}

/** A line with its Terraform template directives (`%{ if … }`) taken out; with `at`, each kept character's index in `line` pushed to it. */
function withoutDirectives(line: string, at?: number[]): string {
  if (at === undefined) return line.replace(/%\{[^}]*\}/g, '');
  let out = '';
  // No `}` after one `%{` means none after a later one: each is looked for once.
  let none = false;
  for (let i = 0; i < line.length; i++) {
    const close = !none && line[i] === '%' && line[i + 1] === '{' ? line.indexOf('}', i + 2) : -1;
    if (close < 0 && line[i] === '%' && line[i + 1] === '{') none = true;
    if (close >= 0) i = close;
    else {
      out += line[i]!;
      at.push(i);
    }
  }
  return out;
}

/**
 * Shell assignments that always run before `until` (`NAME=value`, `export NAME="value"`): literal
 * values only. An assignment counts where every compound command around it (if/case/for/while/until,
 * a function or group body, a subshell, a Terraform `%{ if }`/`%{ for }`) also holds the command, in
 * the same branch: one in another branch, in a function body or in a block that has closed may not
 * have run, so a name it sets is not known (nor is one last set to a value only boot knows, `$(…)`).
 * Heredoc bodies are data and are skipped. A command over several lines (a quote or `$(…)` left
 * open, a backslash-newline) is one logical line. A name changed otherwise than by NAME=value
 * (`NAME+=`, `NAME[i]=`, `read`, `for NAME in`, `unset`, `printf -v`, …) is not known after it, nor
 * is any name after `source`, `.` or `eval`. Linear in the script's length.
 */
export function assignedInForce(script: string, until: number, why?: Map<string, { by: string; line: number }>): Map<string, string> {
  // bash never runs a line at or after an array `A=(` that no `)` closes (scriptStop): no name is in force there.
  const stop = scriptStop(script);
  if (stop !== undefined && until >= stop.from) {
    why?.clear();
    why?.set('*', { by: `the array \`(\` on line ${stop.line} that no \`)\` closes (bash stops with a syntax error before that line runs, so the command never runs)`, line: stop.line });
    return new Map();
  }
  const { assignments, stack } = shellAssignments(script.slice(0, until));
  // What runs on the way to the command: an assignment whose blocks all still hold the command, in the same branch.
  const out = new Map<string, string>();
  for (const a of assignments) {
    const onPath = within(a.blocks, stack);
    // In a subshell function's body (`f() ( … )`): the function's own process, never the command's outside it.
    if (a.blocks?.subshell && !onPath) continue;
    if (a.name === '*') {
      out.clear();
      why?.clear();
      why?.set('*', { by: a.by!, line: a.line });
    } else if (onPath && a.value !== undefined) {
      out.set(a.name, a.value);
      why?.delete(a.name);
    } else {
      out.delete(a.name);
      // A value never known (`read`, `+=`) is said so; a literal one off the command's path, for that.
      why?.set(a.name, { by: onPath || a.value === undefined ? a.by! : 'an assignment in a block that may not run before the command', line: a.line });
    }
  }
  return out;
}

/** What names hold where a command reads them: a value in expandWord's form, or null/undefined where not known. */
export interface VarSource {
  get(name: string): string | null | undefined;
  /**
   * Where the value `get` gives was written: the offset in the file of the literal value (inside its
   * quotes) of the one assignment it comes from; undefined where it is not one assignment's literal
   * (a chain `B=$A`, the same literal set twice in a file read whole, a target's own value, none).
   */
  at?(name: string): number | undefined;
}

/**
 * The variables in force at each command of a script that runs top to bottom once (a `.sh` file's
 * helm and kubectl commands): `at(offset)` gives the names as they are where the command at that
 * offset runs, as assignedInForce reads them (the last change of a name before it decides; a change
 * in a block that has closed, or in another branch, leaves the name not known), and also per command
 * of a chain: `NS=a; helm …` and `NS=a && helm …` read a, `true && NS=a; helm …` does not (the
 * assignment may not run). A value naming variables (`B="$A/x"`) is expanded where it is assigned,
 * as the shell does, with the names in force there. A command inside a function's body runs where
 * the function is called, which this does not follow: it reads the names as assignedOnce does
 * (one literal for the whole file, or not known). What a subshell function's body (`f() ( … )`)
 * assigns is never in force outside it.
 *
 * One pass over the script (shellAssignments), then each name's changes listed in order: a lookup is
 * a binary search of that list and of the `source`/`eval` places, so n commands over a script of n
 * assignments cost O(n log n), never a pass per command. `count.steps`, where given, counts that work.
 */
export function inForce(script: string, count?: { steps: number }): { at(offset: number): VarSource; unclosed?: UnclosedArray } {
  const { assignments, segments, unclosed } = shellAssignments(script, true, count);
  const byName = new Map<string, number[]>();
  const stars = new Map<number, number[]>();
  const values: (string | undefined)[] = [];
  // Where in the (ascending) list the greatest number below `index` is; -1 for none.
  const place = (list: readonly number[] | undefined, index: number): number => {
    let [lo, hi, found] = [0, (list?.length ?? 0) - 1, -1];
    while (lo <= hi) {
      if (count) count.steps++;
      const mid = (lo + hi) >> 1;
      if (list![mid]! < index) [found, lo] = [mid, mid + 1];
      else hi = mid - 1;
    }
    return found;
  };
  const before = (list: readonly number[] | undefined, index: number): number => (list === undefined ? -1 : (list[place(list, index)] ?? -1));
  // Each name's changes (and the `source`s) listed apart per subshell they were made in (0: none): a command reads those of the subshells it is in, and no other's.
  const key = (blocks: Block | undefined, name: string): string => `${blocks?.sub?.id ?? 0}\u0000${name}`;
  // The change in force for a name (its index in `assignments`), -1 where none is known.
  const inForceAt = (index: number, stack: Block | undefined, name: string): number => {
    let [k, star, depth] = [-1, -1, 0];
    for (let b = stack?.sub; ; b = b.parent?.sub) {
      // Subshells nested deeper than 64 around the command: not known.
      if (++depth > 64) return -1;
      k = Math.max(k, before(byName.get(`${b?.id ?? 0}\u0000${name}`), index));
      star = Math.max(star, before(stars.get(b?.id ?? 0), index));
      if (b === undefined) break;
    }
    return k < 0 || star > k || !within(assignments[k]!.blocks, stack) ? -1 : k;
  };
  const source = (index: number, stack: Block | undefined): VarSource => ({
    get: (name) => {
      const k = inForceAt(index, stack, name);
      return k < 0 ? undefined : values[k];
    },
    at: (name) => {
      const k = inForceAt(index, stack, name);
      return k < 0 || values[k] === undefined ? undefined : assignments[k]!.valueAt;
    },
  });
  for (let i = 0; i < assignments.length; i++) {
    const a = assignments[i]!;
    if (count) count.steps++;
    // A subshell's changes are its own process's: never in force outside it (source() passes over them; a command in a subshell function reads the set-once names).
    if (a.name === '*') {
      const list = stars.get(a.blocks?.sub?.id ?? 0);
      if (list) list.push(i);
      else stars.set(a.blocks?.sub?.id ?? 0, [i]);
      values.push(undefined);
      continue;
    }
    const expanded = a.value?.includes('$') ? expandWord(a.value, source(i, a.blocks), { makefile: false }) : a.value;
    // Kept in expandWord's form: a `$` or `\` the expansion gave is a character, not expanded again.
    values.push(a.value?.includes('$') ? expanded?.replace(/[$\\]/g, '\\$&') : expanded);
    const list = byName.get(key(a.blocks, a.name));
    if (list) list.push(i);
    else byName.set(key(a.blocks, a.name), [i]);
  }
  let once: Map<string, string | null> | undefined;
  const starts = segments.map((s) => s.at);
  return {
    ...(unclosed !== undefined ? { unclosed } : {}),
    at: (offset) => {
      const segment = segments[place(starts, offset + 1)];
      if (segment === undefined) return source(0, undefined);
      // A function's body reads the names set once; what an unclosed array hides (scriptStop) never runs, so it sets nothing.
      return segment.stack?.function ? (once ??= assignedOnce(unclosed !== undefined ? script.slice(0, unclosed.from) : script, { makefile: false })) : source(segment.index, segment.stack);
    },
  };
}

/** One change of a shell variable: its literal value (undefined where not a literal), the blocks around it, why it is not known, and its command's first and last lines (1-based). */
interface ShellAssignment { name: string; value: string | undefined; blocks: Block | undefined; by?: string; line: number; end: number; /** inForce: the offset of a literal value as written (inside its quotes). */ valueAt?: number }

/**
 * A compound command's block (one branch of it), the innermost open one standing for all that are
 * open (undefined: none). Blocks are numbered as they open; `last` is the greatest number opened
 * before it closed (Infinity while open), so one block is inside another (or is it) where its number
 * is in the other's range: O(1), never a walk of the blocks around it (a script of 100,000 nested `{`).
 */
interface Block { id: number; last: number; parent: Block | undefined; function: boolean; subshell: boolean; /** It opens a subshell itself (`( … )`, `f() ( … )`), not only inside one. */ own: boolean; /** A plain subshell's `( … )`, whose `)` may be written on a word (`"$NS")`). */ paren: boolean; /** The innermost subshell it is (or is in): it, where `own`. */ sub: Block | undefined;
  /** A brace group `{ …; }` opened as a command that always runs (not after `&&`, `||` or `|`): it runs in the current shell. */ group?: boolean;
  /** A closed group that ran in the current shell (not piped, not put in the background): its changes are those of the block around it (null: none, the script's). */ into?: Block | null;
  /** A `case` block: reading its word (before `in`), an arm's pattern (up to its `)`), or an arm's commands. */ kase?: 'word' | 'pattern' | 'arm' }
/** The block whose changes a block's are: itself, or for a group closed in the current shell, the block around it (stop 63e); each group followed once (its `into` then points at the end). */
const merged = (a: Block | undefined): Block | undefined => {
  let r = a;
  while (r !== undefined && r.into !== undefined) r = r.into ?? undefined;
  for (let x = a; x !== undefined && x !== r && x.into !== undefined; ) {
    const next: Block | undefined = x.into ?? undefined;
    x.into = r ?? null;
    x = next;
  }
  return r;
};
/** Whether what ran in block `a` (a change) is still in force in block `b` (a command): `b` is `a` (or the block a group `a` ran in) or inside it. */
const within = (block: Block | undefined, b: Block | undefined): boolean => {
  const a = merged(block);
  return a === undefined || (b !== undefined && a.id <= b.id && b.id <= a.last);
};

/** A command's place in a script (between separators): its first offset, the number of changes made before it, and the blocks open at it. */
interface Segment { at: number; index: number; stack: Block | undefined }

/**
 * Every change of a variable a script makes, in order (`*` for `source`, `.`, `eval`), with the blocks
 * open at its end. With `track` (inForce), also each command's Segment, the blocks that are function
 * bodies, and a literal value read per command (`NS=a; helm …`, `NS=a && …`) rather than per line.
 */
function shellAssignments(script: string, track = false, count?: { steps: number }): { assignments: ShellAssignment[]; stack: Block | undefined; segments: Segment[]; unclosed?: UnclosedArray } {
  // `by`: the construct that leaves the name unknown, in words; `line`: 1-based, where its command starts.
  const assignments: ShellAssignment[] = [];
  const segments: Segment[] = [];
  // The next `{` opens a function's body (after `f()`, `f ()` or `function f`).
  let fnNext = false;
  let lineAt = 0;
  let offset = 0;
  let startLine = 0;
  let stack: Block | undefined;
  let next = 0;
  // `subshell`: a function whose body is a subshell (`f() ( … )`) or inside one: what it assigns is its own process's, never the caller's.
  const opened = (fn: boolean, sub: boolean, paren: boolean): Block => ({ id: ++next, last: Infinity, parent: stack, function: fn || (stack?.function ?? false), subshell: sub || (stack?.subshell ?? false), own: sub, paren, sub: undefined as Block | undefined });
  const open = (fn = false, sub = false, paren = false) => {
    const parent = stack;
    stack = opened(fn, sub, paren);
    stack.sub = sub ? stack : parent?.sub;
  };
  const close = () => {
    if (stack === undefined) return;
    stack.last = next;
    stack = stack.parent;
  };
  const branch = () => {
    if (stack === undefined) return;
    const fn = stack.function && !(stack.parent?.function ?? false);
    const [sub, paren, kase] = [stack.own, stack.paren, stack.kase];
    close();
    open(fn, sub, paren);
    // `;;` ends a case arm: the next word is the next arm's pattern.
    if (kase !== undefined) stack.kase = 'pattern';
  };
  let heredoc: { word: string; tabs: boolean } | undefined;
  let unclosed: UnclosedArray | undefined;
  let lastWord = '';
  // A command that goes on over lines (a quote or `$(…)` left open, a backslash-newline) is read as one logical line.
  const scan = new LogicalLines();
  let buffer: string | undefined;
  const physical = script.split('\n');
  for (let n = 0; n < physical.length; n++) {
    const raw = physical[n]!;
    const rawAt = offset;
    offset += raw.length + 1;
    if (count) count.steps++;
    if (heredoc && buffer === undefined) {
      if ((heredoc.tabs ? raw.replace(/^\t+/, '') : raw).replace(/\r$/, '') === heredoc.word) heredoc = undefined;
      continue;
    }
    if (buffer === undefined) [startLine, lineAt] = [n + 1, rawAt];
    buffer = buffer === undefined ? raw : `${buffer}\n${raw}`;
    if (scan.feed(raw) && n + 1 < physical.length) continue;
    // An array's `A=(` still open at the end of the script: bash reads to the end looking for its `)` and stops with a syntax error.
    if (n + 1 >= physical.length && scan.openArray >= 0) unclosed = { from: lineAt, at: lineAt + scan.openArray, line: startLine };
    const joined = buffer;
    buffer = undefined;
    scan.reset();
    // A backslash-newline joins words (`B=ci \` then `cmd` is cmd's environment only); a value over one is not read as a literal.
    const continued = /\\\r?\n/.test(joined);
    // Blanked, not removed: each offset of the line stays that of the script (a command's Segment).
    const line = joined.replace(/\\\r?\n/g, (m) => ' '.repeat(m.length));
    for (const d of line.matchAll(DIRECTIVE)) {
      if (d[1] === 'if' || d[1] === 'for') open();
      else if (d[1] === 'else') branch();
      else close();
    }
    const literal = continued ? null : LITERAL_ASSIGNMENT.exec(line);
    // Each command's own text is read where the line is more than one assignment (`{ NS=b; }`, `NS=a; cmd`): tracking, or a line that is not one literal.
    const mapped = track || (literal === null && !continued);
    // Segments between command separators; `;;` (and `;&`, `;;&`) ends a case arm: the next arm is another branch.
    let after = ';';
    // Tracking: where each character of the structural line is in `line` (through the directives taken out).
    const cut = mapped ? ([] as number[]) : undefined;
    const kept = mapped ? ([] as number[]) : undefined;
    const shape = structural(withoutDirectives(line, cut), kept);
    const inLine = (k: number): number => (k >= kept!.length ? (kept!.length > 0 ? cut![kept![kept!.length - 1]!]! + 1 : 0) : cut![kept![k]!]!);
    let from = 0;
    const parts = shape.split(/(;;&?|;&|&&|\|\||[;&|])/);
    for (let p = 0; p < parts.length; p++) {
      const segment = parts[p]!;
      const segmentAt = from;
      from += segment.length;
      if (/^(;;&?|;&|&&|\|\||[;&|])$/.test(segment)) {
        // In a case arm's pattern `|` joins alternatives (`x | y)`): no pipe, the arm's commands run in this shell.
        if (segment === '|' && stack?.kase === 'pattern') continue;
        if (segment.startsWith(';;') || segment === ';&') branch();
        after = segment;
        continue;
      }
      const place: Segment | undefined = track ? { at: lineAt + inLine(segmentAt), index: assignments.length, stack } : undefined;
      // Tracking: this command's own text, as written, for a literal value (`NS=a` of `NS=a; helm …`).
      const own = mapped && !/\\\r?\n/.test(joined.slice(inLine(segmentAt), inLine(from))) ? SEGMENT_LITERAL.exec(line.slice(inLine(segmentAt), inLine(from))) : null;
      // After `&&` or `||` a command may not run; after `|` it runs in a subshell: what it assigns is not known after it.
      const conditional = after === '&&' || after === '||' || after === '|';
      const words = segment.trim().split(/[ \t\n]+/).filter((w) => w !== '');
      let command = true;
      let pending: { name: string; by?: string }[] = [];
      // Names a command sets other than by NAME=value (`read B`, `for B in`, `unset B`, `printf -v B`): their value is not known.
      let setter: string | undefined;
      // After `local`, `declare` or `typeset`: the words are names (or NAME=value) and flags.
      let declaring: string | undefined;
      // The subshell a `)` of this command closed (`( … helm … )`): the command itself ran inside it.
      let inner: Block | undefined;
      // The groups a `}` of this command closed: their changes are the shell's unless the command is piped or put in the background (`} | cat`, `} &`).
      const groups: Block[] = [];
      for (const w of parenWords(words, () => stack)) {
        if (count) count.steps++;
        const fnBody = fnNext && w === '{';
        // `f() ( … )`, `function f ( … )`: a function whose body runs in a subshell when it is called (POSIX 2.9.5: the body is any compound command).
        const fnSubshell = fnNext && w === '(';
        fnNext = w === '()' || /^[^\s()]+\(\)$/.test(w) || lastWord === 'function';
        lastWord = w;
        if (setter !== undefined) {
          const name = /^([A-Za-z_][A-Za-z0-9_]*)(?:=|$)/.exec(w)?.[1];
          if (name !== undefined) assignments.push({ name, value: undefined, blocks: stack, by: `\`${setter}\``, line: startLine, end: n + 1 });
          if (w === 'in' || w === 'do') setter = undefined;
          continue;
        }
        if (fnSubshell) {
          open(true, true, true);
          command = true;
          continue;
        }
        // `f(){` written as one word: a function's body opens with it.
        if (/^[^\s(){}]+\(\)\{$/.test(w)) {
          open(true);
          command = true;
          continue;
        }
        // `{` and `}` are reserved words only where a command starts (bash: `echo }` prints `}`).
        if ((w === '{' || w === '}') && (command || fnBody)) {
          if (w === '{') {
            open(fnBody);
            // `{ NS=b; }` runs in the current shell (bash 5 prints b after it); after `&&`, `||` or `|` it may not run, or runs in a subshell.
            if (!fnBody && command && !conditional) stack!.group = true;
          } else {
            if (stack?.group) groups.push(stack);
            close();
          }
          command = true;
          continue;
        }
        // A case's word up to `in`, then each arm's pattern up to its `)`: no commands (`case $1 in x) NS=b;; esac` on one line).
        if (stack?.kase === 'word' || stack?.kase === 'pattern') {
          if (stack.kase === 'word' && w === 'in') stack.kase = 'pattern';
          else if (stack.kase === 'pattern' && w === 'esac') close();
          else if (stack.kase === 'pattern' && w.endsWith(')')) stack.kase = 'arm';
          command = true;
          continue;
        }
        // A subshell's `)` ends it wherever it is written (`( helm … -n ci )`).
        if (w === ')' && stack?.paren) {
          inner ??= stack;
          close();
          command = true;
          continue;
        }
        if (!command) continue;
        if (SETTERS.has(w)) setter = w === 'printf' ? 'printf -v' : w;
        // `source FILE`, `. FILE`, `eval …` may set any name: nothing set before is known after.
        if (w === 'source' || w === '.' || w === 'eval') assignments.push({ name: '*', value: undefined, blocks: stack, by: `\`${w}\``, line: startLine, end: n + 1 });
        // `( … )`: a subshell (POSIX 2.9.4 "Grouping Commands"): what it sets is in force inside it only.
        if (w === '(') open(false, true, true);
        else if (OPENERS.has(w)) {
          open();
          if (w === 'case') stack!.kase = 'word';
        }
        else if (BRANCHES.has(w)) branch();
        else if (CLOSERS.has(w)) close();
        else if (w === 'export' || w === 'readonly') {
          // `export -n NAME=v` sets NAME as `export NAME=v` does (and unexports it); `export NAME` keeps NAME's value.
          declaring = 'export';
          continue;
        }
        else if (w === 'local' || w === 'declare' || w === 'typeset') {
          declaring = w;
          continue;
        } else {
          // `local NAME` (`declare NAME` in a function): a new NAME, empty, where it holds. A flag that changes the value (`-l`, `-i`, `-a`, `-n`, …: DECLARE_PREFIX) makes it not known.
          if (declaring !== undefined && w.startsWith('-')) {
            if (/[^-rxgp+]/.test(w) && !(declaring === 'export' && w === '-n')) declaring = `${declaring} ${w}`;
            continue;
          }
          // `local` outside a function: bash refuses it ("can only be used in a function") and sets nothing; what it names is not read as set.
          if (declaring === 'local' && !stack?.function) {
            const name = /^([A-Za-z_][A-Za-z0-9_]*)/.exec(w)?.[1];
            if (name !== undefined) pending.push({ name, by: '`local` outside a function (bash refuses it and sets nothing)' });
            continue;
          }
          if (declaring?.includes(' -') && /^[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=/.test(w)) {
            pending.push({ name: /^[A-Za-z_][A-Za-z0-9_]*/.exec(w)![0], by: `\`${declaring}\`, which changes the value it is given` });
            continue;
          }
          if (declaring !== undefined && declaring !== 'export' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(w)) {
            pending.push({ name: w, by: `\`${declaring} ${w}\`` });
            continue;
          }
          // `NAME+=…` and `NAME[i]=…` change NAME too: pending like NAME=.
          const a = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[[^\]]*\])?\+?=/.exec(w);
          if (a) {
            pending.push(w.startsWith(`${a[1]!}=`) ? { name: a[1]! } : { name: a[1]!, by: `\`${w.includes('+=') ? `${a[1]!}+=` : `${a[1]!}[…]=`}\`` });
            continue;
          }
          // `NAME=value command …`: the assignment is the command's environment only, not the script's.
          pending = [];
        }
        command = LEADS.has(w);
      }
      if (place) segments.push({ ...place, stack: inner ?? stack });
      if (parts[p + 1] !== '|' && parts[p + 1] !== '&') for (const g of groups) g.into = g.parent ?? null;
      // `NAME+=…` and `NAME[i]=…` change NAME and are never a literal (LITERAL_ASSIGNMENT reads NAME= only).
      for (const { name, by } of pending) {
        const value = by === undefined && !conditional ? (track ? (own?.[1] === name ? ownValue(own) : undefined) : literal?.[1] === name ? (literal[2] ?? literal[3] ?? literal[4] ?? '') : own?.[1] === name ? shellLiteral(own) : undefined) : undefined;
        // Tracking: where a value written as it is read (`'…'`, or no `$`) is, for a finding about it to be said there (VarSource.at).
        const g = own?.[3] !== undefined ? 3 : own?.[2] !== undefined ? 2 : 4;
        const valueAt = track && value !== undefined && own !== null && (g === 3 || !(own[g] ?? '').includes('$')) ? lineAt + inLine(segmentAt) + own.indices![g]![0] : undefined;
        assignments.push({ name, value, blocks: inner ?? stack, by: by ?? (conditional ? `an assignment after \`${after}\`, which may not run` : UNKNOWN_VALUE), line: startLine, end: n + 1, ...(valueAt !== undefined ? { valueAt } : {}) });
      }
    }
    for (const h of line.matchAll(HEREDOC)) heredoc = { word: h[2] ?? h[3] ?? h[4]!, tabs: h[1] === '-' };
  }
  return { assignments, stack, segments, ...(unclosed !== undefined ? { unclosed } : {}) };
}

/**
 * An array assignment whose `(` no `)` closes (`A=(x y` to the end of the script). bash reads an
 * array over lines up to its `)`, so it reads on to the end of the file, then stops with a syntax
 * error (bash 5.2: "unexpected EOF while looking for matching `)'", exit status 1) before it runs any
 * of the line the array is on (bash parses a whole line before running it): nothing from `from` on
 * runs. `at`: the `(`; `line`: the 1-based line the command starts on.
 */
export interface UnclosedArray { from: number; at: number; line: number }

/**
 * Where bash stops reading a script (the one place that says so, for every reader of commands and
 * assignments: inForce's `unclosed`, assignedInForce, kubectl-create.ts, vm.ts): an array `A=(` that no
 * `)` closes (UnclosedArray), undefined where the whole script is read. One pass (shellAssignments).
 */
export function scriptStop(script: string): UnclosedArray | undefined {
  return script.includes('(') ? shellAssignments(script).unclosed : undefined;
}

/**
 * A command's words with a subshell's parentheses written on them taken apart: `(NS=b` gives `(` and
 * `NS=b`; `"$NS")` gives `""` and `)` where a subshell is the innermost block open (`innermost`, read
 * as each word is reached), so a case pattern's `a)` stays one word; `((…))` and `$()` are not
 * parentheses of a subshell, nor are an array's (`A=(1 2)`: one word, stop 63e). Each word read once.
 */
function* parenWords(words: readonly string[], innermost: () => Block | undefined): Generator<string> {
  // An array assignment's words (`A=(1 2)`, `A+=(x`, …, `)`), joined into one word: its parentheses are the array's, not a subshell's, and its elements are no command.
  let array: string | undefined;
  let depth = 0;
  for (const w of words) {
    let word = w;
    if (array === undefined && /^[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=\(/.test(word)) [array, depth] = ['', 0];
    if (array !== undefined) {
      // Up to the `)` that closes the array; a `)` after it closes a subshell (`( A=(1 2))`).
      let k = 0;
      for (; k < word.length; k++) {
        if (word[k] === '(') depth++;
        else if (word[k] === ')' && --depth === 0) break;
      }
      array = array === '' ? word.slice(0, k + 1) : `${array} ${word.slice(0, k + 1)}`;
      if (depth > 0) continue;
      yield array;
      array = undefined;
      word = word.slice(k + 1);
      if (word === '') continue;
    }
    while (word.length > 1 && word[0] === '(' && word[1] !== '(' && !word.startsWith('()')) {
      yield '(';
      word = word.slice(1);
    }
    const bare = word.replace(/\$\(\)/g, '');
    let trailing = 0;
    while (trailing < bare.length && bare[bare.length - 1 - trailing] === ')') trailing++;
    const closers = word === ')' || trailing === 0 || !innermost()?.paren ? 0 : Math.min(trailing, bare.split(')').length - bare.split('(').length);
    if (closers <= 0) {
      yield word;
      continue;
    }
    if (word.length > closers) yield word.slice(0, word.length - closers);
    for (let k = 0; k < closers; k++) yield ')';
  }
  if (array !== undefined) yield array;
}

/**
 * One command's `NAME=value` as written (inForce, and assignedInForce where a line holds more than one
 * command), a subshell's `(` or a group's `{` before it, `then`/`do`/`else` or a case arm's pattern
 * (`x)`) before it and `)` after it allowed: `"…"` (which may name variables, expanded when it
 * runs), `'…'` (the characters as written) or a bare word (no parentheses: `$(…)` is a command's
 * output). Anchored, each part a class the next cannot take: linear.
 */
const SEGMENT_LITERAL = /^[ \t\r\n]*(?:(?:\(|\{[ \t\r\n]|(?:then|do|else)[ \t\r\n]|[^\s"'`;&|()]+\)[ \t\r\n])[ \t\r\n]*)*(?:(?:export(?:[ \t]+-n)?|readonly|(?:declare|typeset|local)(?:[ \t]+-[rxg]+)*)[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"`\\]*)"|'([^']*)'|([^\s"'`;&|\\()]*))[ \t\r\n]*(?:\)[ \t\r\n]*)*$/d;
/** SEGMENT_LITERAL's value in expandWord's form: a `$` or `\` of `'…'` behind a `\`. */
/** A SEGMENT_LITERAL's value as assignedInForce keeps it, the shell's literal: none where it names a variable (`"$A"`, `$A`), which only the run knows. */
const shellLiteral = (m: RegExpExecArray): string | undefined => (m[3] !== undefined ? m[3] : (m[2] ?? m[4] ?? '').includes('$') ? undefined : (m[2] ?? m[4] ?? ''));
const ownValue = (m: RegExpExecArray): string => m[2] ?? (m[3] !== undefined ? m[3].replace(/[$\\]/g, '\\$&') : (m[4] ?? ''));

/** Why a `NAME=…` of its own is not a literal: its value is one only the run knows (`$(…)`, `$A`). */
const UNKNOWN_VALUE = 'an assignment whose value only boot knows';

/** Commands that set the names among their words: `read`, `for NAME in`, `unset`, `printf -v`, `mapfile`, `let`, `getopts` (`source`, `.`, `eval` may set any). */
const SETTERS = new Set(['read', 'for', 'select', 'unset', 'printf', 'mapfile', 'readarray', 'let', 'getopts']);

/**
 * Whether a script is still inside one command at the end of a line: a quote, a `$(…)`, an array's
 * `A=(…)` (or a backtick) left open, or a backslash before the newline. Fed line by line, each character once.
 */
class LogicalLines {
  #stack: string[] = [];
  /** The characters fed since the last reset, and where the outermost construct still open is an array's `=(`, its `(` among them (-1: none). */
  #fed = 0;
  #arrayAt = -1;
  reset(): void {
    this.#stack = [];
    this.#fed = 0;
    this.#arrayAt = -1;
  }
  /** Where in the command (from its first character) an array that is the outermost construct still open starts (its `(`); -1 where none is. */
  get openArray(): number {
    return this.#stack.length > 0 ? this.#arrayAt : -1;
  }
  /** Reads one more line; true while the command goes on past it. */
  feed(line: string): boolean {
    const st = this.#stack;
    const fed = this.#fed;
    this.#fed += line.length + 1;
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      const top = st[st.length - 1];
      if (top === "'") {
        if (c === "'") st.pop();
        continue;
      }
      // ANSI-C quoting `$'…'` (bash manual, 3.1.2.4): a backslash escapes the next character, `\'` included (`$'it\'s'` is one word, it's).
      if (top === "$'") {
        if (c === '\\') i++;
        else if (c === "'") st.pop();
        continue;
      }
      if (c === '\\') {
        if (i + 1 >= line.length || (line[i + 1] === '\r' && i + 2 >= line.length)) return true;
        i++;
        continue;
      }
      if (top === '"' || top === '`') {
        if (c === top) st.pop();
        else if (c === '$' && line[i + 1] === '(') {
          st.push('(');
          i++;
        }
        continue;
      }
      if (st.length === 0) this.#arrayAt = -1;
      if (c === "'" && line[i - 1] === '$') st.push("$'");
      else if (c === '"' || c === "'" || c === '`') st.push(c);
      else if (c === '$' && line[i + 1] === '(') {
        st.push('(');
        i++;
      }
      // `A=(` (`A+=(`) opens an array, which may go on over lines to its `)`: one command (bash).
      else if (c === '(' && (top === '(' || line[i - 1] === '=')) {
        if (st.length === 0) this.#arrayAt = fed + i;
        st.push('(');
      }
      else if (c === ')' && top === '(') st.pop();
      else if (c === '#' && (i === 0 || /[ \t;&|(]/.test(line[i - 1]!))) break;
    }
    return st.length > 0;
  }
}


/** A target-specific assignment's parts: 1 the targets, 2 the name, 3 the operator, 4 the value. */
const TARGET_SETTING = new RegExp(`^([^:#=\\n \\t][^:#=\\n]*):[ \\t]*${MAKE_PREFIX}${MAKE_PREFIX}(${NAME})[ \\t]*(${MAKE_OPERATOR})[ \\t]*([^\\n]*)$`);
/** A target-specific value make would use as one word: a literal, or naming variables. */
const TARGET_WORD = /^[A-Za-z0-9./_${(][A-Za-z0-9._/:@+${}()-]*$/;

/**
 * A Makefile's variables where each recipe runs (stop 62d): the file's (assignedOnce, the
 * target-specific lines left out), and a target's own `t: NS = b` (`override`, `export`, `private`
 * before the name) in force in t's recipe and, as GNU make does, in the recipes of t's prerequisites
 * when t is built (GNU make manual, "Target-specific Variable Values"; make 4.3 prints b in both).
 * A prerequisite's recipe also runs when it is built alone, with the file's value, so there a name
 * some target above it sets is not known; in t's own recipe it is t's value (`+=`, `?=`, `!=`, two
 * values, or a value of more than one word: not known). A pattern target (`%-deploy: NS = b`) holds
 * for a target it matches. A target with a prerequisite written with a variable (`deploy: $(TARGETS)`)
 * makes its names not known in every other recipe (which ones it builds is not read). A command
 * outside every recipe reads such a name as not known. One pass
 * over the lines, then the prerequisites walked once per name set so.
 */
export function makeVarsAt(text: string, count?: { steps: number }): { at(offset: number): VarSource } {
  const lines = text.split('\n');
  const own = new Map<string, Map<string, string | null>>();
  const prerequisites = new Map<string, string[]>();
  const recipes: { at: number; end: number; targets: string[] }[] = [];
  const kept: string[] = [];
  let rule: string[] | undefined;
  let continued = false;
  let offset = 0;
  for (const line of lines) {
    if (count) count.steps++;
    const at = offset;
    offset += line.length + 1;
    if (continued || (rule !== undefined && line[0] === '\t')) {
      kept.push(line);
      continued = /\\\r?$/.test(line);
      const last = recipes[recipes.length - 1];
      if (last !== undefined && last.end === at - 1 && last.targets === rule) last.end = offset - 1;
      else if (rule !== undefined) recipes.push({ at, end: offset - 1, targets: rule });
      continue;
    }
    continued = false;
    if (line.trim() === '' || line.trimStart()[0] === '#' || CONDITIONAL_LINE.test(line)) {
      kept.push(line);
      continue;
    }
    const setting = line[0] !== '\t' ? TARGET_SETTING.exec(line) : null;
    if (setting) {
      // Blanked, not removed: each line keeps its offset, where assignedOnce says a value is written.
      kept.push(' '.repeat(line.length));
      rule = undefined;
      const value = /^(?:::?=|=)$/.test(setting[3]!) && TARGET_WORD.test(setting[4]!.replace(/[ \t]+(?:#.*)?$/, '')) ? setting[4]!.replace(/[ \t]+(?:#.*)?$/, '') : null;
      for (const t of setting[1]!.trim().split(/[ \t]+/)) {
        const names = own.get(t) ?? new Map<string, string | null>();
        names.set(setting[2]!, names.has(setting[2]!) && names.get(setting[2]!) !== value ? null : value);
        own.set(t, names);
      }
      continue;
    }
    kept.push(line);
    rule = line[0] !== '\t' && RULE_LINE.test(line) ? line.slice(0, line.indexOf(':')).trim().split(/[ \t]+/) : undefined;
    if (rule !== undefined) {
      const after = line.slice(line.indexOf(':') + 1).replace(/^:/, '').split(';');
      const deps = after[0]!.replace(/#.*$/, '').split(/[ \t|]+/).filter((d) => d !== '');
      for (const t of rule) prerequisites.set(t, [...(prerequisites.get(t) ?? []), ...deps]);
      // `t: deps ; command`: the command is t's recipe.
      if (after.length > 1) recipes.push({ at: at + line.indexOf(';'), end: offset - 1, targets: rule });
    }
  }
  const global = assignedOnce(kept.join('\n'), { makefile: true }, count);
  const matches = (pattern: string, target: string): boolean => {
    const p = pattern.indexOf('%');
    if (p < 0) return pattern === target;
    return target.length >= pattern.length - 1 && target.startsWith(pattern.slice(0, p)) && target.endsWith(pattern.slice(p + 1));
  };
  // For each name a target sets: the targets below one that sets it (its prerequisites, theirs, …), where it is not known.
  const inherited = new Map<string, Set<string>>();
  // Names set by a target with a prerequisite written with a variable (`deploy: $(TARGETS)`): which
  // targets make builds with the target's value is not read, so the name is not known in every recipe
  // but those of the targets that set it (before: the file's value, where make may use the target's).
  const belowUnread = new Set<string>();
  const patterns = [...own.keys()].filter((t) => t.includes('%'));
  for (const [target, names] of own) {
    for (const name of names.keys()) {
      const seen = inherited.get(name) ?? new Set<string>();
      inherited.set(name, seen);
      const starts = target.includes('%') ? [...prerequisites.keys()].filter((t) => matches(target, t)) : [target];
      const queue = starts.flatMap((t) => prerequisites.get(t) ?? []);
      for (let i = 0; i < queue.length; i++) {
        if (count) count.steps++;
        if (seen.has(queue[i]!)) continue;
        if (queue[i]!.includes('$')) belowUnread.add(name);
        seen.add(queue[i]!);
        queue.push(...(prerequisites.get(queue[i]!) ?? []));
      }
    }
  }
  const setHere = (targets: string[], name: string): string | null | undefined => {
    let found: string | null | undefined;
    for (const t of targets) {
      const sources = [own.get(t), ...patterns.filter((p) => matches(p, t)).map((p) => own.get(p))];
      for (const names of sources) {
        if (names === undefined || !names.has(name)) continue;
        const v = names.get(name)!;
        found = found === undefined || found === v ? v : null;
      }
    }
    return found;
  };
  const starts = recipes.map((r) => r.at);
  return {
    at: (offset) => {
      let [lo, hi, k] = [0, starts.length - 1, -1];
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (starts[mid]! <= offset) [k, lo] = [mid, mid + 1];
        else hi = mid - 1;
      }
      const recipe = k >= 0 && offset <= recipes[k]!.end ? recipes[k] : undefined;
      // Whether the file's value (assignedOnce) is the one read here, not a target's own; else why not (null: not known, or the target's value).
      const own = (name: string): string | null | undefined => {
        if (!inherited.has(name)) return undefined;
        if (recipe === undefined) return null;
        const here = setHere(recipe.targets, name);
        if (here !== undefined) return here;
        if (belowUnread.has(name)) return null;
        return recipe.targets.some((t) => inherited.get(name)!.has(t)) ? null : undefined;
      };
      return {
        get: (name) => {
          const here = own(name);
          return here !== undefined ? here : global.get(name);
        },
        // A target's own value is written on its target's line, which is not said here: only the file's value has its place.
        at: (name) => (own(name) === undefined ? global.at(name) : undefined),
      };
    },
  };
}
