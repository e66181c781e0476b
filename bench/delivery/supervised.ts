// A product process (gateway or cloud-ingest worker) as the harness runs it: `node --import tsx <script>`
// in one process (tsx's CLI would run the script in a grandchild that a SIGKILL to the CLI never reaches),
// output appended to a log file, restarted at once after a planned SIGKILL and after a short pause when
// it exits by itself (counted: a crash or a refused start is a finding, not noise).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { Resources } from './resources.js';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** Pause before restarting a process that exited by itself (e.g. refused to start on a full disk). */
const RESTART_AFTER_CRASH_MS = 1000;

export class SupervisedProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stopping = false;
  private killing = false;
  /** Starts so far (the first one included): the harness uses it to tell one gateway process from the next. */
  generation = 0;
  plannedKills = 0;
  unplannedExits = 0;
  readonly exitCodes: string[] = [];

  constructor(
    readonly name: string,
    private readonly script: string,
    private readonly args: readonly string[],
    private readonly logFile: string,
    private readonly resources: Resources,
    private readonly progress: (line: string) => void,
    /**
     * compiled: run `script` (e.g. bin/lastmile-ingest.js) with plain `node`, no tsx loader, as the product ships; nodeFlags: before
     * the script; env: the process's whole environment (e.g. a systemd unit's Environment= lines over the harness's), else the harness's.
     */
    private readonly run: { readonly compiled?: boolean; readonly nodeFlags?: readonly string[]; readonly env?: NodeJS.ProcessEnv } = {},
  ) {}

  /** The live process's id (the fleet bench reads its CPU time and RSS from /proc). */
  get pid(): number | undefined {
    return this.alive() ? this.child!.pid : undefined;
  }

  alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.stopping || this.alive()) return;
    const log = openSync(this.logFile, 'a');
    const loader = this.run.compiled ? [] : ['--import', 'tsx'];
    const child = spawn(process.execPath, [...(this.run.nodeFlags ?? []), ...loader, join(REPO_ROOT, this.script), ...this.args], { cwd: REPO_ROOT, stdio: ['ignore', log, log], env: this.run.env ?? process.env });
    closeSync(log);
    this.child = child;
    this.generation++;
    this.resources.trackPid(child.pid);
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.resources.untrackPid(child.pid);
        resolve();
        if (this.killing || this.stopping) return;
        this.unplannedExits++;
        this.exitCodes.push(signal ?? String(code));
        this.progress(`${this.name} exited by itself (${signal ?? `code ${code}`}); restarting in ${RESTART_AFTER_CRASH_MS} ms (see ${this.logFile})`);
        setTimeout(() => this.start(), RESTART_AFTER_CRASH_MS);
      });
    });
  }

  /** SIGKILL and start again at once; false when there was no live process to kill. */
  async killAndRestart(): Promise<boolean> {
    if (!this.alive()) return false;
    this.killing = true;
    this.child!.kill('SIGKILL');
    await this.exited;
    this.killing = false;
    this.plannedKills++;
    this.start();
    return true;
  }

  /** SIGKILL without restart (end of the run: what is not in the database by now is lost). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.alive()) this.child!.kill('SIGKILL');
    await this.exited;
  }
}
