// Preloaded by scripts/sweep.js into each doctor run (`node --import`). When the process ends, it
// writes its own CPU time (user + system of every thread, in ms) to file descriptor 3, the pipe the
// sweep opened for it. A process started without that pipe (fd 3 closed) writes nothing.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  const c = process.cpuUsage();
  try {
    writeSync(3, String(Math.round((c.user + c.system) / 1000)));
  } catch {
    // no fd 3: not started by the sweep
  }
});
