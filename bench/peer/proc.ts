// RSS and CPU time of one process from /proc (Linux only): VmRSS from /proc/<pid>/status, utime+stime
// from /proc/<pid>/stat in clock ticks (USER_HZ, 100 on Linux).
import { readFileSync } from 'node:fs';

const USER_HZ = 100;

export class ProcessMeter {
  constructor(readonly pid: number) {}

  rssMb(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
    if (!Number.isFinite(kb)) throw new Error(`/proc/${this.pid}/status: no VmRSS`);
    return kb / 1024;
  }

  cpuSeconds(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at field 3; utime, stime are 14, 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  }
}
