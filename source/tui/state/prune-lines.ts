// The lines of the cleanup panel, as data: the view only paints them. Every figure is the plan's
// (model/prune-plan.ts, model/removal.ts) or the run report's (engine/prune-run.ts).
import { escapeText } from '../../model/escape.js';
import type { PlanItem, PrunePlan } from '../../model/prune-plan.js';
import { shortId, size } from '../format.js';
import type { PruneFlow } from './prune-flow.js';

export type Tone = 'plain' | 'heading' | 'dim' | 'danger' | 'good' | 'warn';
export interface Line {
  text: string;
  /** Right-aligned figures. */
  right?: string;
  tone: Tone;
}

const COLS = (disk: string, docker: string) => `${disk.padStart(10)} ${docker.padStart(10)}`;

function group(title: string, items: PlanItem[]): Line[] {
  if (!items.length) return [];
  const disk = items.reduce((a, i) => a + i.diskBytes, 0);
  const docker = items.reduce((a, i) => a + i.dockerBytes, 0);
  return [
    { text: `${title} (${items.length})`, right: COLS(size(disk), size(docker)), tone: 'heading' },
    ...items.map((i) => ({
      text: `  ${i.kind === 'volume' || i.kind === 'build-cache' ? '' : `${shortId(i.id)}  `}${escapeText(i.name)}${i.state ? ` (${i.state})` : ''}`,
      right: COLS(size(i.diskBytes), size(i.dockerBytes)),
      tone: 'plain' as Tone,
    })),
  ];
}

export function planLines(plan: PrunePlan): Line[] {
  const lines: Line[] = [{ text: '', right: COLS('FREES DISK', 'DOCKER'), tone: 'dim' }];
  lines.push(...group('Containers', plan.containers));
  lines.push(...group('Networks', plan.networks));
  lines.push(...group('Volumes', plan.volumes));
  lines.push(...group('Images', plan.images));
  if (plan.sharedImageBytes > 0)
    lines.push({
      text: '  layers shared only by these images',
      right: COLS(size(plan.sharedImageBytes), ''),
      tone: 'dim',
    });
  if (plan.buildCache) lines.push(...group('Build cache', [plan.buildCache]));
  if (lines.length === 1) lines.push({ text: 'Nothing to remove.', tone: 'dim' });
  if (plan.kept.length) {
    lines.push({ text: `Kept (${plan.kept.length})`, tone: 'heading' });
    for (const k of plan.kept)
      lines.push({ text: `  ${k.kind} ${escapeText(k.name)}: ${escapeText(k.reason)}`, tone: 'good' });
  }
  return lines;
}

export function totalLine(plan: PrunePlan): string {
  const diff = plan.predictedFreedBytes - plan.dockerEstimateBytes;
  return `Total: frees ${size(plan.predictedFreedBytes)} on disk · Docker's estimate ${size(plan.dockerEstimateBytes)} (the disk gets ${size(Math.abs(diff))} ${diff >= 0 ? 'more' : 'less'})`;
}

export const EXPLAIN: string[] = [
  'What this is: the exact list `docker system prune` would remove (with -a: every image no',
  "container uses), in Docker's order: stopped containers, unused networks, volumes (only with",
  '--volumes: anonymous ones), images, build cache. FREES DISK is what the disk really gets back,',
  'measured by layertop: a layer counts only when no image that stays uses it; metadata, logs and',
  "content blobs included. DOCKER is Docker's own figure for the same items. Nothing is forced:",
  'running containers and their images stay. Press D, type yes and Enter to run it; layertop',
  'checks again first and shows anything that changed. Afterwards it measures the disk again.',
];

export function changeLines(flow: PruneFlow): Line[] {
  const c = flow.change;
  if (!c) return [];
  return [
    { text: 'The engine changed since the preview:', tone: 'warn' },
    ...c.added.map((i) => ({
      text: `  + ${i.kind} ${escapeText(i.name)}`,
      right: size(i.diskBytes),
      tone: 'danger' as Tone,
    })),
    ...c.dropped.map((i) => ({
      text: `  - ${i.kind} ${escapeText(i.name)} (now kept)`,
      tone: 'good' as Tone,
    })),
    {
      text: `  frees ${c.bytesDelta >= 0 ? '+' : '-'}${size(Math.abs(c.bytesDelta))} compared with the preview`,
      tone: 'warn',
    },
  ];
}

export function reportLines(flow: PruneFlow): Line[] {
  const r = flow.report;
  if (!r) return [];
  const fig = (n: number | null) => (n === null ? 'not measured (no helper)' : size(n));
  return [
    {
      text: `Removed ${r.removed.length} item(s)${r.failed.length ? `, ${r.failed.length} failed` : ''}`,
      tone: 'heading',
    },
    ...r.failed.map((f) => ({
      text: `  ${f.kind} ${escapeText(f.name)}: ${escapeText(f.error ?? '')}`,
      tone: 'danger' as Tone,
    })),
    { text: 'Predicted by layertop', right: fig(r.predictedFreedBytes), tone: 'plain' },
    { text: 'Reported by Docker', right: fig(r.dockerReportedBytes), tone: 'plain' },
    { text: 'Measured on disk', right: fig(r.measuredFreedBytes), tone: 'good' },
  ];
}
