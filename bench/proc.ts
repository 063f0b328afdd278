// CPU time from Linux's /proc, for the benchmarks: a process's, and its threads' by name (the main
// thread, libuv's pool that signs, V8's GC helpers, PGlite's worker thread).
import fs from 'node:fs';

const TICKS = 100; // USER_HZ on Linux

/** utime and stime of a /proc stat line, in seconds (the name in parentheses may hold spaces). */
function userAndSystem(stat: string): { name: string; user: number; system: number } {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), user: Number(fields[11]) / TICKS, system: Number(fields[12]) / TICKS };
}

/** CPU seconds of a whole process, user and system. */
export function cpuSeconds(pid: number): number {
  const { user, system } = userAndSystem(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  return user + system;
}

/** CPU seconds per thread name, user and system apart (`<name> user`, `<name> sys`). */
export function threadSeconds(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    const { name, user, system } = userAndSystem(fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
    byName.set(`${name} user`, (byName.get(`${name} user`) ?? 0) + user);
    byName.set(`${name} sys`, (byName.get(`${name} sys`) ?? 0) + system);
  }
  return byName;
}
