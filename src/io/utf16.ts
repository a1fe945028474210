/**
 * UTF-16 text, told apart from binary: every reader of user files (spec, `--azure-outputs`, the
 * doctor) reads UTF-8 only, and Windows tools write UTF-16 (Windows PowerShell's `>` does). Said
 * once here, so each reader gives the same message instead of a parse error full of NULs.
 */
export interface Utf16 {
  encoding: 'UTF-16LE' | 'UTF-16BE';
  /** Starts with a byte order mark (FF FE or FE FF); otherwise known by its NULs. */
  bom: boolean;
}

/** Bytes looked at for a file without a byte order mark: 32 characters of UTF-16. */
const SNIFF_BYTES = 64;

/** UTF-16 text: a byte order mark, or (ASCII written as UTF-16) a NUL in every other byte of the start and none between. */
export function utf16Of(bytes: Uint8Array): Utf16 | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'UTF-16LE', bom: true };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'UTF-16BE', bom: true };
  const n = Math.min(bytes.length, SNIFF_BYTES) & ~1;
  // Two characters at least: one NUL next to a byte says nothing.
  if (n < 4) return undefined;
  let le = true;
  let be = true;
  for (let i = 0; i < n; i += 2) {
    const even = bytes[i]!;
    const odd = bytes[i + 1]!;
    if (!(even !== 0 && odd === 0)) le = false;
    if (!(even === 0 && odd !== 0)) be = false;
  }
  return le ? { encoding: 'UTF-16LE', bom: false } : be ? { encoding: 'UTF-16BE', bom: false } : undefined;
}

/** The message and fix for a UTF-16 file, one wording for every reader. `file` must already be safe to print. */
export function utf16Problem(file: string, u: Utf16): { message: string; fix: string } {
  const how = u.bom ? 'it starts with a UTF-16 byte order mark' : 'a NUL byte in every other byte';
  return {
    message: `${file} is UTF-16 text (${u.encoding}: ${how}); save it as UTF-8`,
    fix: `save the file as UTF-8, for example: iconv -f ${u.encoding} -t UTF-8 ${file} > utf8-${baseName(file)}`,
  };
}

const baseName = (file: string) => file.slice(file.lastIndexOf('/') + 1) || 'file';
