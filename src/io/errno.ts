/** Why a file system call failed, in words, from its errno code. */
const REASONS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  ELOOP: 'a loop of symbolic links',
  ENOENT: 'no such file or folder',
  EISDIR: 'it is a folder',
  ENOTDIR: 'a part of the path is a file',
};

/**
 * The reason of a failed file system call (`own` words a code for its context: a missing folder
 * to write into is not a missing file); an error without a known code gives its first line.
 */
export function errnoReason(e: unknown, own: Readonly<Record<string, string>> = {}): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const known = code === undefined ? undefined : (own[code] ?? REASONS[code]);
  return known ?? (e instanceof Error ? e.message.split('\n')[0]! : String(e));
}
