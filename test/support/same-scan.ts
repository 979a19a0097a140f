// Two scans of the same engine compared, as a warm one against a cold one: every byte of the
// report, except the ledger's share of what differs between runs by design (each run's own helper
// container, the engine's databases written meanwhile), whose steady categories are compared alone.
import { expect } from 'vitest';
import type { ScanReport } from '../../source/model/report.js';

const STEADY = ['images', 'logs', 'volumes', 'buildCache', 'leftovers'];

export function expectSameScan(a: ScanReport, b: ScanReport): void {
  expect({ ...a, ledger: null }).toEqual({ ...b, ledger: null });
  const steady = (r: ScanReport) =>
    r.ledger?.categories.filter((c) => STEADY.includes(c.key)).map((c) => [c.key, c.bytes]) ?? null;
  expect(steady(a)).toEqual(steady(b));
}
