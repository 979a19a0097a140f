// The cleanup assistant's state: preview → confirm (type "yes") → re-plan and compare → (changed:
// confirm again) → run → report. One reducer owns it; the plans, the run and the report come in
// as events from the engine side, so this file stays pure.
import type { RunReport } from '../../engine/prune-run.js';
import { type PlanChange, type PrunePlan, planIsEmpty } from '../../model/prune-plan.js';

export type PrunePhase = 'preview' | 'confirm' | 'checking' | 'changed' | 'running' | 'report' | 'failed';

export interface PruneFlow {
  phase: PrunePhase;
  source: PrunePlan['source'];
  /** docker system prune -a / --volumes (prune only). */
  all: boolean;
  volumes: boolean;
  plan: PrunePlan;
  scroll: number;
  /** What the user has typed at the confirmation prompt. */
  typed: string;
  /** The last answer that was not the confirm word (said back, so Enter on "no" is not silent). */
  refused?: string | undefined;
  explain: boolean;
  change?: PlanChange | undefined;
  progress?: { done: number; total: number; name: string } | undefined;
  report?: RunReport | undefined;
  error?: string | undefined;
}

/** The word that confirms a removal: a deliberate sequence, not one stray key. */
export const CONFIRM_WORD = 'yes';

export type PruneEvent =
  | { type: 'plan'; plan: PrunePlan; all?: boolean; volumes?: boolean }
  | { type: 'scroll'; delta: number; max: number }
  | { type: 'explain' }
  | { type: 'confirm' }
  | { type: 'typed'; text: string }
  | { type: 'submit' }
  | { type: 'back' }
  | { type: 'checked'; plan: PrunePlan; change: PlanChange | null }
  | { type: 'progress'; done: number; total: number; name: string }
  | { type: 'report'; report: RunReport }
  | { type: 'failed'; error: string };

export function openPrune(plan: PrunePlan, all = true, volumes = false): PruneFlow {
  return { phase: 'preview', source: plan.source, all, volumes, plan, scroll: 0, typed: '', explain: false };
}

export function pruneReducer(s: PruneFlow, e: PruneEvent): PruneFlow {
  switch (e.type) {
    case 'plan':
      return { ...s, plan: e.plan, all: e.all ?? s.all, volumes: e.volumes ?? s.volumes, scroll: 0 };
    case 'scroll':
      return { ...s, scroll: Math.max(0, Math.min(e.max, s.scroll + e.delta)) };
    case 'explain':
      return { ...s, explain: !s.explain };
    case 'confirm':
      // Nothing to remove: nothing to confirm.
      if (s.phase !== 'preview' || isEmpty(s.plan)) return s;
      return { ...s, phase: 'confirm', typed: '' };
    case 'typed':
      if (s.phase !== 'confirm' && s.phase !== 'changed') return s;
      return { ...s, typed: e.text.slice(0, 12), refused: undefined };
    case 'submit':
      if (s.phase !== 'confirm' && s.phase !== 'changed') return s;
      if (s.typed.trim().toLowerCase() !== CONFIRM_WORD) return { ...s, typed: '', refused: s.typed };
      return { ...s, phase: 'checking', typed: '', refused: undefined };
    case 'back':
      if (s.phase === 'confirm' || s.phase === 'changed')
        return { ...s, phase: 'preview', typed: '', change: undefined, refused: undefined };
      return s;
    case 'checked':
      if (s.phase !== 'checking') return s;
      // Changed since the user looked: show what changed and ask again (then check again).
      if (e.change) return { ...s, phase: 'changed', plan: e.plan, change: e.change, typed: '', scroll: 0 };
      if (isEmpty(e.plan)) return { ...s, phase: 'preview', plan: e.plan };
      return { ...s, phase: 'running', plan: e.plan, change: undefined, progress: undefined };
    case 'progress':
      return s.phase === 'running' ? { ...s, progress: { done: e.done, total: e.total, name: e.name } } : s;
    case 'report':
      return { ...s, phase: 'report', report: e.report, scroll: 0 };
    case 'failed':
      return { ...s, phase: 'failed', error: e.error };
  }
}

export const isEmpty = planIsEmpty;
