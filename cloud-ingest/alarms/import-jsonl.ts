// First start on the workflow database: the JSON-lines alarm log of earlier versions (alarms.jsonl in
// dataDir) is replayed into it once, then renamed to alarms.jsonl.imported so it is never read again.
// Events go through the same path as live ones (idempotent per event id); steps are replayed as recorded.
import { existsSync, readFileSync, renameSync } from 'node:fs';
import type { AlarmEvent } from '../../contract/vocabulary.js';
import type { Logger } from '../../contract/logger.js';
import { InvalidEventError, type CaseStore } from './store.js';

type OldRecord =
  | { type: 'event'; gateway: string; township: string; compound: string; receivedAt: number; event: AlarmEvent }
  | { type: 'step'; caseId: string; record: { step: 'dispatched' | 'handled' | 'closed'; by: string; at: number; to?: string; note?: string } };

export async function importJsonLines(store: CaseStore, file: string, log: Logger): Promise<{ events: number; steps: number } | undefined> {
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n');
  let events = 0;
  let steps = 0;
  let skipped = 0;
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let record: OldRecord;
    try {
      record = JSON.parse(line) as OldRecord;
    } catch (error) {
      // A torn last line after a power cut is expected; anything else stops the import, naming the line.
      if (index >= lines.length - 2) continue;
      throw new Error(`${file}:${index + 1}: unreadable alarm log line: ${(error as Error).message}`);
    }
    if (record.type === 'event') {
      try {
        await store.addEvent({ gateway: record.gateway, township: record.township, compound: record.compound }, record.event, record.receivedAt);
      } catch (error) {
        // An event the store cannot file is skipped and named; a database failure stops the import.
        if (!(error instanceof InvalidEventError)) throw error;
        log.warn({ file, line: index + 1, err: error.message }, 'old alarm log: event skipped');
        skipped++;
        continue;
      }
      events++;
      continue;
    }
    const dot = record.caseId.indexOf('.');
    const caseId = (await store.caseOfEvent(record.caseId.slice(0, dot), record.caseId.slice(dot + 1))) ?? record.caseId;
    if (await store.importStep(caseId, record.record)) steps++;
  }
  renameSync(file, `${file}.imported`);
  log.info({ file, events, steps, skipped }, 'JSON-lines alarm log imported into the workflow store');
  return { events, steps };
}
