// A V8 CPU profile of one measured window, written by the process itself: the benches end their child
// processes with signals and run set-up and warm-up in the same process, so `node --cpu-prof` (whole
// process, written at a clean exit) would profile the wrong thing or nothing.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/** Runs `run`; with `file` given, profiles it (sampling every `intervalUs`, V8's default 1,000 µs) and writes the profile there. */
export async function profiled<T>(file: string | undefined, run: () => Promise<T>, intervalUs?: number): Promise<T> {
  if (!file) return run();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  if (intervalUs !== undefined) await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.post('Profiler.start');
  const result = await run();
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(file, JSON.stringify(profile));
  session.disconnect();
  return result;
}
