import { normalPath } from './hcl/eval.js';

/** A `.gitignore` file's name (a walk reads it; the doctor keeps its patterns, not a deployment file). */
export const isGitIgnoreName = (path: string): boolean => /(?:^|[\\/])\.gitignore$/.test(path);

interface Pattern {
  /** The folder of the .gitignore (normal path, ending in `/`, or ''). */
  base: string;
  negated: boolean;
  /** Only a folder matches (`dir/`). */
  folderOnly: boolean;
  /** Written with a `/` before its end: matched against the path from base, not any name. */
  anchored: boolean;
  test: RegExp;
}

/**
 * The patterns of the `.gitignore` files given, read as far as the doctor needs them: whether a file
 * a deployment names and the files do not hold is kept out of the repository on purpose (a `.env` a
 * kustomize generator reads). Read (gitignore(5)): blank lines and `#` comments; `!` negation, the last
 * matching pattern deciding; a name or glob with `*` and `?` matching a name at any depth below the
 * file's folder; a pattern with a `/` before its end matched from that folder (a leading `/` too); a
 * trailing `/` matching folders only (and so everything below one). Not read: `**`, character classes
 * `[...]` and backslash escapes: a line with any of them is left out, so a file only such a line
 * ignores is taken as not ignored (the finding stays as it was).
 */
export class GitIgnores {
  readonly #patterns: Pattern[] = [];

  add(path: string, text: string): void {
    const p = normalPath(path);
    const base = p.slice(0, p.lastIndexOf('/') + 1);
    for (const raw of text.split(/\r?\n/)) {
      let line = raw.replace(/[ \t]+$/, '');
      if (line === '' || line.startsWith('#') || /\*\*|\[|\\/.test(line)) continue;
      const negated = line.startsWith('!');
      if (negated) line = line.slice(1);
      const folderOnly = line.endsWith('/');
      if (folderOnly) line = line.slice(0, -1);
      const anchored = line.includes('/');
      if (line.startsWith('/')) line = line.slice(1);
      if (line === '') continue;
      const glob = line.split('').map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|\\]/g, '\\$&'))).join('');
      this.#patterns.push({ base, negated, folderOnly, anchored, test: new RegExp(`^${glob}$`) });
    }
  }

  get size(): number {
    return this.#patterns.length;
  }

  /** Whether the file at `path` (normal path) is ignored by the patterns of a .gitignore in a folder above it. */
  ignored(path: string): boolean {
    const p = normalPath(path);
    let ignored = false;
    for (const pat of this.#patterns) {
      if (!p.startsWith(pat.base)) continue;
      const parts = p.slice(pat.base.length).split('/');
      // The file itself, or one of the folders it is in (a folder ignored ignores all below it).
      let hit = false;
      for (let i = 0; i < parts.length && !hit; i++) {
        const isFolder = i < parts.length - 1;
        if (pat.folderOnly && !isFolder) continue;
        hit = pat.anchored ? pat.test.test(parts.slice(0, i + 1).join('/')) : pat.test.test(parts[i]!);
      }
      if (hit) ignored = !pat.negated;
    }
    return ignored;
  }
}
