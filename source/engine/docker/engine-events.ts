// The engine's event stream (GET /events) as whole events. Docker writes one JSON object per
// line; a big one (an exec's event names the whole command: layertop's helper loop is 40 KB)
// reaches the reader in several pieces, and a piece alone is not an event.
import { StringDecoder } from 'node:string_decoder';

const HELPER_LABEL = 'io.layertop.helper';
/** A line longer than this is not kept whole (nothing Docker sends is that long); it still counts. */
const MAX_LINE = 4 * 1024 * 1024;

export interface EngineEventLines {
  /** Takes a piece of the stream; says how many whole events in it matter (not layertop's own helper's). */
  push(chunk: Buffer): number;
}

/** Whether one event line is about layertop's own helper (its container carries the label). */
export function isOwnHelperEvent(line: string): boolean {
  try {
    const e = JSON.parse(line) as { Actor?: { Attributes?: Record<string, string> } };
    return e.Actor?.Attributes?.[HELPER_LABEL] !== undefined;
  } catch {
    return false; // not understood: counted, so that nothing that matters is missed
  }
}

export function engineEventLines(): EngineEventLines {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  return {
    push(chunk) {
      pending += decoder.write(chunk);
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      let counted = 0;
      if (pending.length > MAX_LINE) {
        pending = '';
        counted++;
      }
      for (const line of lines) if (line.trim() && !isOwnHelperEvent(line)) counted++;
      return counted;
    },
  };
}
