// Whether a process that recorded itself (in a lock) is still running. A pid alone is not
// enough: once the process is gone the kernel hands its number to another process, so a lock
// records its holder's start time (/proc/PID/stat) and a pid that now started at another time
// is somebody else.
import { readFileSync } from 'node:fs';

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().slice(0, 8);
  } catch {
    return '';
  }
}

/**
 * When PID started, as "BOOT:TICKS" (the boot's id and field 22 of /proc/PID/stat), or
 * undefined where /proc cannot tell (another system, or no such process).
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: state is 3rd, starttime 22nd.
    const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return ticks ? `${bootId()}:${ticks}` : undefined;
  } catch {
    return undefined;
  }
}

export interface Liveness {
  alive: boolean;
  /** Why, in a few words: "process 42 is running", "pid 42 is now another process"… */
  why: string;
}

/** Whether the process that recorded PID and START (its start time; null when not recorded) still runs. */
export function processLiveness(pid: number, start: string | null | undefined): Liveness {
  if (!(pid > 0) || !processAlive(pid)) return { alive: false, why: `process ${pid} is gone` };
  const now = processStartTime(pid);
  if (!start || !now) return { alive: true, why: `process ${pid} is running${start ? '' : ' (its start time was not recorded)'}` };
  return now === start
    ? { alive: true, why: `process ${pid} is running` }
    : { alive: false, why: `process ${pid} is gone (pid ${pid} now belongs to another process)` };
}
