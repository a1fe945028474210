import { REGISTER_BOOL_FIELD_FLAGS, REGISTER_LONG_FLAGS, REGISTER_SHORT_FLAGS } from './register-flags-data.js';
import { REGISTER_ADDED_FLAGS, REGISTER_HISTORY_MINORS, REGISTER_REMOVED_FLAGS } from './register-flags-history-data.js';

/**
 * The flags `gitlab-runner register` defines, read from gitlab-runner's source
 * (gitlab-org/gitlab-runner 19.4.0, commit d79f3e7b: commands/register.go RegisterCommand and the
 * structs it embeds or names with a `namespace:` tag: common/config.go RunnerConfig, RunnerSettings,
 * DockerConfig, KubernetesConfig, SshConfig, ParallelsConfig, VirtualBoxConfig, CustomBuildDir;
 * helpers/docker/credentials.go Credentials; cache/cacheconfig/cacheconfig.go Config, CacheS3Config),
 * generated into register-flags-data.ts by scripts/register-flags.js.
 *
 * register's flags are built by golang-cli-helpers (GetFlagsFromStruct, common/command.go
 * NewCommand): every field with a `long:` (or `short:`) tag becomes a flag named by its namespaces
 * and the tag joined with `-` (`docker` + `privileged` → `docker-privileged`); an embedded struct
 * adds its fields under the same namespace. Both the short and the long name are given to
 * urfave/cli as one flag ("short, long"), which defines each in Go's flag package on the same
 * value: `-n` is --non-interactive, and `--name` (RunnerSettings.Name, `short:"name"
 * long:"description"`) is --description. urfave/cli v1.22.17 (go.mod) adds its help flag
 * (flag.go HelpFlag, "help, h") to every command that does not hide help (command.go Command.Run).
 */
export const REGISTER_FLAGS: ReadonlySet<string> = new Set([...REGISTER_LONG_FLAGS, ...REGISTER_SHORT_FLAGS.keys(), 'help', 'h']);

/** A name as register reads it: a short name or alias (`n`, `name`) is the flag it names (`non-interactive`, `description`). */
export const REGISTER_ALIASES: ReadonlyMap<string, string> = REGISTER_SHORT_FLAGS;

/**
 * Which of register's flags are booleans. A field of type `bool` gives a flag whose value reports
 * itself boolean to Go's flag package (IsBoolFlag), so `--flag` alone sets it and the next word is
 * never its value (`--flag=false` still sets one); urfave/cli still moves that next word next to it
 * (reorderArgs), where Go's flag.Parse stops at it. urfave/cli's help flag is a BoolFlag.
 */
export const REGISTER_BOOLEAN_FLAGS: ReadonlySet<string> = new Set([
  ...REGISTER_BOOL_FIELD_FLAGS,
  ...[...REGISTER_SHORT_FLAGS].filter(([, long]) => REGISTER_BOOL_FIELD_FLAGS.includes(long)).map(([short]) => short),
  'help', 'h',
]);

/*
 * Not in the list: the flags of `*bool` fields (REGISTER_BOOL_POINTER_FLAGS, a setting whose
 * absence differs from false), e.g. --docker-services_privileged, --kubernetes-privileged,
 * --safe-directory-checkout, --custom_build_dir-enabled. Whether Go's flag package takes the word
 * after such a flag as its value (`--kubernetes-privileged true`) depends on golang-cli-helpers'
 * IsBoolFlag at parse time, and the version gitlab-runner's go.mod pins
 * (gitlab.com/gitlab-org/golang-cli-helpers v0.0.0-20220124161940-198f30295e7e, hosted on
 * gitlab.com) could not be obtained here: the module proxy is unreachable and no copy of that
 * version is in the public code index. OPEN QUESTION, so today's reading is kept: an older copy of
 * the library (the one still importing github.com/codegangsta/cli) reports a pointer field boolean
 * only when `value.Elem().Kind() == reflect.Bool`, which for a nil pointer (register leaves these
 * nil, commands/register.go newRegisterCommand) is false, so the flag is not boolean and takes the
 * next word as its value. The same code would report it boolean once the pointer is set (by its
 * environment variable, or by the flag written earlier in the same command). This reader therefore
 * never takes such a flag for one that stops the flags (no RF927 after it), and reads a next word
 * that starts with `-` as the next flag, as for any flag it does not know to take a value.
 */

/** Optimal string alignment distance (edits, transpositions of neighbours), counting `_` for `-` as no edit. */
function distance(a: string, b: string): number {
  const x = a.replace(/_/g, '-');
  const y = b.replace(/_/g, '-');
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) => [i, ...Array<number>(y.length).fill(0)]);
  for (let j = 1; j <= y.length; j++) d[0]![j] = j;
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[x.length]![y.length]!;
}

/**
 * The defined long flag nearest to a name register does not define (`docker-privilege` →
 * `docker-privileged`, `docker-services-privileged` → `docker-services_privileged`), or undefined
 * when none is near: at most a third of the name's letters differ (at least 2). A tie goes to the
 * flag sharing the longer start with the name, then to the first in gitlab-runner's field order.
 */
export function nearestRegisterFlag(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  let bestPrefix = -1;
  for (const flag of REGISTER_LONG_FLAGS) {
    if (Math.abs(flag.length - name.length) > bestDistance) continue;
    const dist = distance(name, flag);
    let prefix = 0;
    while (prefix < name.length && prefix < flag.length && name[prefix] === flag[prefix]) prefix++;
    if (dist < bestDistance || (dist === bestDistance && prefix > bestPrefix)) {
      best = flag;
      bestDistance = dist;
      bestPrefix = prefix;
    }
  }
  return best;
}

/** The gitlab-runner version register-flags-data.ts was generated from: the flags RF919 checks when no version is pinned. */
export const REGISTER_FLAGS_VERSION = '19.4.0';

/** A gitlab-runner version a deployment installs (`11.3.1`): as written, and its minor release (`11.3`). */
export interface RunnerVersion {
  text: string;
  minor: string;
  /** The file that pins it, where it is not the file with the register command (another file of the same folder). */
  pinnedIn?: string;
}

/**
 * A version as written (`11.3.1`, `v16.5.0`, `16.5.0-1`), where the flag tables cover its minor
 * release: one read by scripts/register-flags.js --history (10.0 … the current table's). Another
 * (older, newer, not a version) is undefined: its flags are not known, and RF919 reads the current ones.
 */
export function runnerVersion(written: string): RunnerVersion | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-\d+)?$/.exec(written);
  if (!m) return undefined;
  const minor = `${Number(m[1])}.${Number(m[2])}`;
  if (!REGISTER_HISTORY_MINORS.includes(minor)) return undefined;
  return { text: `${Number(m[1])}.${Number(m[2])}.${Number(m[3])}`, minor };
}

/** A release as the history tables write it (`14.0` is 14.0.0, `16.3.1`), or a version's text, as numbers. */
const numbers = (v: string): [number, number, number] => {
  const [a = 0, b = 0, c = 0] = v.split('.').map(Number);
  return [a, b, c];
};
/** Whether release `a` comes before release `b` in version order. */
function before(a: string, b: string): boolean {
  const x = numbers(a);
  const y = numbers(b);
  return x[0] !== y[0] ? x[0] < y[0] : x[1] !== y[1] ? x[1] < y[1] : x[2] < y[2];
}
/** Whether a version comes before a release (`15.11`, `16.3.1`). */
export const versionBefore = (version: RunnerVersion, release: string): boolean => before(version.text, release);
/** The range of releases a version is in: [from, to) in version order, an open range up to the current table. */
const inRange = (range: readonly string[], version: RunnerVersion): boolean => !before(version.text, range[0]!) && (range[1] === undefined || before(version.text, range[1]));

/**
 * Whether register of `version` (or of REGISTER_FLAGS_VERSION) defines a flag. Without a version:
 * the current table. With one: a flag some release lacks is defined where the version is in one of
 * its ranges (REGISTER_REMOVED_FLAGS for a flag the current table lacks, REGISTER_ADDED_FLAGS for
 * one added since 10.0, both over every release tag, patch releases included); any other flag of
 * the current table is in every release read.
 */
export function definesFlag(name: string, version?: RunnerVersion): boolean {
  if (version === undefined) return REGISTER_FLAGS.has(name);
  const ranges = REGISTER_ADDED_FLAGS.get(name) ?? REGISTER_REMOVED_FLAGS.get(name);
  if (ranges !== undefined) return ranges.some((r) => inRange(r, version));
  return REGISTER_FLAGS.has(name);
}

/** The release before a range's end as a message names it: the minor before `14.0` (`13.12`), or the patch before `16.3.1`. */
function lastBefore(to: string): string {
  const [a, b, c] = numbers(to);
  if (to.split('.').length === 3) return `${a}.${b}.${c - 1}`;
  return REGISTER_HISTORY_MINORS[REGISTER_HISTORY_MINORS.indexOf(to) - 1] ?? to;
}

/**
 * For a flag the current table lacks that `version` defines: the release that removed it and
 * the last one that has it (`machine-off-peak-timezone` at 11.3.1: removed in 14.0, last 13.12).
 */
export function removedFlag(name: string, version: RunnerVersion): { removedIn: string; last: string } | undefined {
  for (const [from, to] of REGISTER_REMOVED_FLAGS.get(name) ?? []) {
    if (inRange([from, to], version)) return { removedIn: to, last: lastBefore(to) };
  }
  return undefined;
}

/** The release that removed a flag a version before `version` defined (the latest such removal), for RF919's message. */
export function removedBefore(name: string, version: RunnerVersion): string | undefined {
  const gone = (REGISTER_REMOVED_FLAGS.get(name) ?? []).map(([, to]) => to).filter((to) => !before(version.text, to));
  return gone.at(-1);
}

/**
 * For a flag `version` does not define and a later release does: the first release after it that
 * has it (`maintenance-note` at 11.3.1: 14.8; `kubernetes-cleanup_resources_timeout` at 16.3.0:
 * 16.3.1, a backport), and for a flag the current table lacks, the last release that has it
 * (`post-clone-script` at 11.3.1: 14.9 … 16.11).
 */
export function addedAfter(name: string, version: RunnerVersion): { firstIn: string; until?: string } | undefined {
  if (definesFlag(name, version)) return undefined;
  const ranges = REGISTER_ADDED_FLAGS.get(name) ?? REGISTER_REMOVED_FLAGS.get(name) ?? [];
  const next = ranges.find((r) => before(version.text, r[0]));
  if (next === undefined) return undefined;
  return REGISTER_ADDED_FLAGS.has(name) || next[1] === undefined ? { firstIn: next[0] } : { firstIn: next[0], until: lastBefore(next[1]) };
}
