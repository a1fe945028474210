import { closeSync, openSync, readSync } from 'node:fs';

/**
 * The bytes of a file, read up to one byte more than `max`: a larger file (or /dev/zero, or a pipe
 * that never ends) is refused by its size without being read whole. Pipes and /dev/stdin are read
 * like files. @throws the errno error of open or read.
 */
export function readAtMost(file: string, max: number): { bytes: Buffer; more: boolean } {
  const fd = openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    const chunk = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, max + 1 - total), null);
      if (n === 0) return { bytes: Buffer.concat(chunks, total), more: false };
      chunks.push(Buffer.from(chunk.subarray(0, n)));
      total += n;
      if (total > max) return { bytes: Buffer.concat(chunks, total), more: true };
    }
  } finally {
    closeSync(fd);
  }
}
