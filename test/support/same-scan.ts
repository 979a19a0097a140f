// Two scans of the same engine compared, as a warm one against a cold one: every byte of the
// report, except the ledger's share of what differs between runs by design (each run's own helper
// container, the engine's databases written meanwhile), whose steady categories are compared alone.
import { expect } from 'vitest';
import type { ScanReport } from '../../source/model/report.js';
import { type EngineName, layertop } from './engines.js';

/** `layertop scan --json` of a test engine with the size cache in `cacheDir`: clean, exit 0. */
export async function scanWithCache(engine: EngineName, cacheDir: string): Promise<ScanReport> {
  const r = await layertop(['scan', '--json'], { engine, env: { LAYERTOP_CACHE_DIR: cacheDir } });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as ScanReport;
}

const STEADY = ['images', 'logs', 'volumes', 'buildCache', 'leftovers'];

/**
 * A directory's own blocks grow as entries are added and never shrink (ext4): each run's helper
 * adds its layer directories to overlay2/ and their short links to overlay2/l/, so those two
 * directories' own blocks can grow by a block between two scans (seen at scale on Docker 28.5:
 * "images" 4,096 B more in the second scan). Their contents are compared; their own blocks not.
 */
const GROWS = (path: string) => path === 'overlay2/l' || path.endsWith('/.') || path === '.';

/** The ledger's categories that two scans of an unchanged engine must agree on, by bytes. */
export function steadyLedger(r: ScanReport): (string | number)[][] | null {
  return (
    r.ledger?.categories
      .filter((c) => STEADY.includes(c.key))
      .map((c) => [c.key, c.items.filter((i) => !GROWS(i.path)).reduce((n, i) => n + i.bytes, 0)]) ?? null
  );
}

/** A report without what each run changes by design: the ledger, and its total in the totals. */
const runFree = (r: ScanReport) => ({ ...r, ledger: null, totals: { ...r.totals, dataRootDiskBytes: null } });

export function expectSameScan(a: ScanReport, b: ScanReport): void {
  expect(runFree(a)).toEqual(runFree(b));
  // The data root's total is the ledger's (each run's own helper in it): known both times or neither.
  expect(a.totals.dataRootDiskBytes === null).toBe(b.totals.dataRootDiskBytes === null);
  expect(steadyLedger(a)).toEqual(steadyLedger(b));
}
