import { closeSync, openSync, readSync } from 'node:fs';

/**
 * The bytes of a file, read up to one byte more than `max`: a larger file (or /dev/zero, or a pipe
 * that never ends) is refused by its size without being read whole. Pipes and /dev/stdin are read
 * like files. @throws the errno error of open or read.
 */
export function readAtMost(file: string, max: number): { bytes: Buffer; more: boolean } {
  const fd = openSync(file, 'r');
  try {
    return readFdAtMost(fd, max);
  } finally {
    closeSync(fd);
  }
}

/**
 * The same from an open descriptor (0: standard input, whatever it is: a file, a pipe, or the
 * socket a parent process such as Node's spawnSync gives, which /dev/stdin cannot open).
 */
export function readFdAtMost(fd: number, max: number): { bytes: Buffer; more: boolean } {
  const chunks: Buffer[] = [];
  let total = 0;
  const chunk = Buffer.allocUnsafe(64 * 1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, chunk, 0, Math.min(chunk.length, max + 1 - total), null);
    } catch (e) {
      // A non-blocking descriptor with nothing yet: wait for it (a spec on stdin is read whole).
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      throw e;
    }
    if (n === 0) return { bytes: Buffer.concat(chunks, total), more: false };
    chunks.push(Buffer.from(chunk.subarray(0, n)));
    total += n;
    if (total > max) return { bytes: Buffer.concat(chunks, total), more: true };
  }
}
