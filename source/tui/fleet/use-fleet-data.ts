// Scans every engine of the fleet in the background, a few at a time, each with its own session
// and helper (closed once its scan is done); the rows fill in as engines answer.
import { useEffect, useState } from 'react';
import { closeWithin, eachLimited, type FleetTarget, targetHost, targetLabel } from '../../engine/fleet.js';
import { scanEngine } from '../../engine/scan.js';
import { type OpenOptions, openSession } from '../../engine/session.js';
import type { FleetEngine } from './fleet-rows.js';

export function useFleetData(
  targets: readonly FleetTarget[],
  options: OpenOptions,
  parallel: number,
  describe: (err: unknown, host: string) => string,
): { engines: FleetEngine[]; rescan: () => void } {
  const [engines, setEngines] = useState<FleetEngine[]>(() =>
    targets.map((t) => ({ label: targetLabel(t), host: targetHost(t), phase: 'waiting' })),
  );
  const [round, setRound] = useState(0);
  useEffect(() => {
    let alive = true;
    const update = (i: number, patch: Partial<FleetEngine>) => {
      if (alive) setEngines((prev) => prev.map((e, k) => (k === i ? { ...e, ...patch } : e)));
    };
    void round;
    // A new round starts from nothing known: an engine that fails now must not keep the last
    // round's layers in the fleet's counts.
    setEngines((prev) => prev.map((e) => ({ label: e.label, host: e.host, phase: 'waiting' })));
    void eachLimited(targets, parallel, async (t, i) => {
      // A round replaced by a newer one (r pressed again) starts nothing more.
      if (!alive) return;
      update(i, { phase: 'scanning' });
      let session: Awaited<ReturnType<typeof openSession>> | undefined;
      try {
        let frozen: ((m: string) => void) | undefined;
        const frozenNow = new Promise<never>((_, rej) => {
          frozen = (m) => rej(new Error(m));
        });
        frozenNow.catch(() => {});
        session = await Promise.race([
          openSession({ ...options, host: t.host, context: t.context, onFrozen: (m) => frozen?.(m) }),
          frozenNow,
        ]);
        const s = session;
        update(i, { host: s.endpoint.host });
        const model = await Promise.race([
          scanEngine(s.client, {
            helper: s.helper,
            cache: s.cache,
            info: s.info,
            noHelperReason: '--no-helper',
          }),
          frozenNow,
        ]);
        update(i, { phase: 'ready', model });
      } catch (err) {
        update(i, { phase: 'error', error: describe(err, t.host ?? targetLabel(t)) });
      } finally {
        await closeWithin(session);
      }
    });
    return () => {
      alive = false;
    };
  }, [targets, options, parallel, describe, round]);
  return { engines, rescan: () => setRound((r) => r + 1) };
}
