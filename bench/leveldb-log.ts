// When LevelDB was compacting, read from the LOG file it keeps in its directory. Two kinds of work
// stall or slow writers: major compactions ("Compacting 4@0 + 1@1 files" … "compacted to: …") and
// memtable flushes ("Level-0 table #12: started" … "Level-0 table #12: 201481 bytes OK"). Each LOG
// line starts with the local time LevelDB wrote it, to the microsecond.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Interval {
  /** Epoch ms. */
  readonly start: number;
  readonly end: number;
}

export interface CompactionLog {
  readonly compactions: Interval[];
  readonly flushes: Interval[];
}

const LINE = /^(\d{4})\/(\d{2})\/(\d{2})-(\d{2}):(\d{2}):(\d{2})\.(\d{6}) \S+ (.*)$/;

function timeOf(match: RegExpExecArray): number {
  const [, year, month, day, hour, minute, second, micros] = match.map(Number) as number[];
  return new Date(year!, month! - 1, day!, hour!, minute!, second!).getTime() + micros! / 1000;
}

export function readCompactionLog(dir: string): CompactionLog {
  const path = join(dir, 'LOG');
  const compactions: Interval[] = [];
  const flushes: Interval[] = [];
  if (!existsSync(path)) return { compactions, flushes };
  let compactionStart: number | undefined;
  const flushStarts = new Map<string, number>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = LINE.exec(line);
    if (!match) continue;
    const at = timeOf(match);
    const text = match[8]!;
    if (text.startsWith('Compacting ')) compactionStart = at;
    else if (text.startsWith('compacted to:') && compactionStart !== undefined) {
      compactions.push({ start: compactionStart, end: at });
      compactionStart = undefined;
    }
    const flush = /^Level-0 table #(\d+): (started|.* OK)$/.exec(text);
    if (flush?.[2] === 'started') flushStarts.set(flush[1]!, at);
    else if (flush && flushStarts.has(flush[1]!)) flushes.push({ start: flushStarts.get(flush[1]!)!, end: at });
  }
  return { compactions, flushes };
}

/** Whether [start, end] overlaps any of the intervals (sorted by start). */
export function overlapsAny(intervals: readonly Interval[], start: number, end: number): boolean {
  return intervals.some((interval) => interval.start <= end && interval.end >= start);
}
