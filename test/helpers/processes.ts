/**
 * The tests' view of processes, read from /proc: which children a test left behind, and
 * whether a pid still runs. A zombie (exited, not reaped yet) counts as gone.
 */
import { readdirSync, readFileSync } from 'node:fs';

interface ProcStat {
  pid: number;
  /** The command name (at most 15 characters; may contain spaces). */
  comm: string;
  /** The state letter: R, S, D, Z, … */
  state: string;
  ppid: number;
}

/** `/proc/<pid>/stat` parsed; undefined once the process is gone. */
function procStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may contain spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), state: fields[0]!, ppid: Number(fields[1]) };
  } catch {
    return undefined; // it ended while we looked
  }
}

/** Every process that is not a zombie. */
function runningProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat !== undefined && stat.state !== 'Z') out.push(stat);
  }
  return out;
}

/** True while a process with this pid exists and is not a zombie. */
export function alive(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** PIDs of this test process's running children whose command name is one of `names`. */
export function childPidsNamed(...names: string[]): number[] {
  return runningProcesses()
    .filter((p) => p.ppid === process.pid && names.includes(p.comm))
    .map((p) => p.pid);
}

/** PIDs of every running process below `pid`. */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of runningProcesses()) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const out: number[] = [];
  const walk = (parent: number) => {
    for (const child of children.get(parent) ?? []) {
      out.push(child);
      walk(child);
    }
  };
  walk(pid);
  return out;
}
