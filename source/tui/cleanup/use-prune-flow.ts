import { useEffect, useReducer, useRef } from 'react';
import { type PrunePlan, planChanges } from '../../model/prune-plan.js';
import type { ScanModel } from '../../model/report.js';
import type { EngineData } from '../engine-data.js';
import { type PruneEvent, type PruneFlow, pruneReducer } from './prune-flow.js';

export type FlowEvent = PruneEvent | { type: 'open'; flow: PruneFlow } | { type: 'close' };

function flowReducer(s: PruneFlow | undefined, e: FlowEvent): PruneFlow | undefined {
  if (e.type === 'open') return e.flow;
  if (e.type === 'close') return undefined;
  return s ? pruneReducer(s, e) : s;
}

/**
 * The cleanup flow's state plus its two engine steps: when the user confirms, scan again and
 * compare the new plan with the one on screen; when that holds, run it and report. `makePlan`
 * turns a fresh scan into the same kind of plan (prune options or the marked set).
 */
export function usePruneFlow(data: EngineData, makePlan: (model: ScanModel, flow: PruneFlow) => PrunePlan) {
  const [flow, dispatch] = useReducer(flowReducer, undefined);
  const latest = useRef({ data, makePlan, flow });
  latest.current = { data, makePlan, flow };
  const modelRef = useRef<ScanModel | undefined>(undefined);
  const phase = flow?.phase;

  useEffect(() => {
    if (phase !== 'checking') return;
    let live = true;
    const { data: d, makePlan: make, flow: f } = latest.current;
    if (!f) return;
    d.rescanNow().then(
      (model) => {
        if (!live) return;
        modelRef.current = model;
        const plan = make(model, f);
        dispatch({ type: 'checked', plan, change: planChanges(f.plan, plan) });
      },
      (err: unknown) =>
        live && dispatch({ type: 'failed', error: `could not check the engine: ${(err as Error).message}` }),
    );
    return () => {
      live = false;
    };
  }, [phase]);

  useEffect(() => {
    if (phase !== 'running') return;
    const { data: d, flow: f } = latest.current;
    const model = modelRef.current;
    // Taken: not held for the rest of the session once the removal is done.
    modelRef.current = undefined;
    if (!f || !model) return;
    // A removal is never abandoned half-way by a re-render: no cancellation here.
    d.runPlan(model, f.plan, (p) =>
      dispatch({ type: 'progress', done: p.done, total: p.total, name: p.item.name }),
    ).then(
      (report) => {
        dispatch({ type: 'report', report });
        latest.current.data.refresh();
      },
      (err: unknown) => dispatch({ type: 'failed', error: (err as Error).message }),
    );
  }, [phase]);

  return [flow, dispatch] as const;
}
