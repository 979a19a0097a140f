// The lines of the cleanup panel, as data: the view only paints them. Every figure is the plan's
// (model/prune-plan.ts, model/removal.ts) or the run report's (engine/prune-run.ts).
import { escapeText } from '../../model/escape.js';
import {
  cacheOnly,
  changedHow,
  dockerFiguresNote,
  othersNote,
  type PlanItem,
  type PrunePlan,
} from '../../model/prune-plan.js';
import { counted } from '../../model/size-text.js';
import { disk as diskText, shortId, size } from '../format.js';
import { wrap } from '../help/help-lines.js';
import type { PruneFlow } from './prune-flow.js';

export type Tone = 'plain' | 'heading' | 'dim' | 'danger' | 'good' | 'warn';
export interface Line {
  text: string;
  /** Right-aligned figures. */
  right?: string;
  tone: Tone;
  /** A paragraph: wrapped to the panel's width where drawn (see PrunePanel's pruneLines), each line after `indent`. */
  paragraph?: { indent: string };
}

/** The panel's lines at `width` columns: each paragraph wrapped to it (no word cut at the edge). */
export function fitLines(lines: Line[], width: number): Line[] {
  return lines.flatMap((l) => {
    if (!l.paragraph) return [l];
    const { indent } = l.paragraph;
    return wrap(l.text, width - indent.length).map((text) => ({ text: `${indent}${text}`, tone: l.tone }));
  });
}

const COLS = (disk: string, docker: string) => `${disk.padStart(10)} ${docker.padStart(10)}`;

/** A group's heading with its subtotals, then its items. `extra`: disk bytes the group frees
 *  beyond its items' own (the layers only its images share), in the subtotal too. */
function group(title: string, items: PlanItem[], extra = 0): Line[] {
  if (!items.length) return [];
  const disk = items.some((i) => i.diskBytes === null)
    ? null
    : items.reduce((a, i) => a + (i.diskBytes ?? 0), extra);
  const docker = items.reduce((a, i) => a + i.dockerBytes, 0);
  return [
    { text: `${title} (${items.length})`, right: COLS(diskText(disk), size(docker)), tone: 'heading' },
    ...items.map((i) => ({
      text: `  ${i.kind === 'volume' || i.kind === 'build-cache' ? '' : `${shortId(i.id)}  `}${escapeText(i.name)}${i.state ? ` (${i.state})` : ''}`,
      right: COLS(diskText(i.diskBytes), size(i.dockerBytes)),
      tone: 'plain' as Tone,
    })),
  ];
}

export function planLines(plan: PrunePlan): Line[] {
  const lines: Line[] = [{ text: '', right: COLS('FREES DISK', 'DOCKER'), tone: 'dim' }];
  lines.push(...group('Containers', plan.containers));
  lines.push(...group('Networks', plan.networks));
  lines.push(...group('Volumes', plan.volumes));
  lines.push(...group('Images', plan.images, plan.sharedImageBytes ?? 0));
  if (plan.sharedImageBytes)
    lines.push({
      text: '  layers shared only by these images',
      right: COLS(size(plan.sharedImageBytes), ''),
      tone: 'dim',
    });
  if (plan.buildCache) lines.push(...group('Build cache', [plan.buildCache]));
  // Marked records one by one when they are few; a prune's dozens are on its summary line (and in
  // `layertop builder du`): the panel keeps room for what is kept and why.
  const recordLines = plan.buildCache?.recordLines ?? [];
  for (const r of recordLines.length <= 3 ? recordLines : [])
    lines.push({
      text: `    ${escapeText(r.name)}`,
      right: COLS(diskText(r.diskBytes), size(r.dockerBytes)),
      tone: 'dim',
    });
  if (lines.length === 1) lines.push({ text: 'Nothing to remove.', tone: 'dim' });
  // Records kept are summed up by reason (a cache has thousands); everything else one by one.
  const kept = plan.kept.filter((k) => k.kind !== 'build-cache' || k.id === 'build-cache');
  const byReason = new Map<string, number>();
  for (const k of plan.kept)
    if (k.kind === 'build-cache' && k.id !== 'build-cache')
      byReason.set(k.reason, (byReason.get(k.reason) ?? 0) + 1);
  if (kept.length || byReason.size) {
    lines.push({ text: `Kept (${plan.kept.length})`, tone: 'heading' });
    for (const k of kept)
      lines.push({ text: `  ${k.kind} ${escapeText(k.name)}: ${escapeText(k.reason)}`, tone: 'good' });
    for (const [reason, n] of byReason)
      lines.push({
        text: `  ${n} build-cache record${n > 1 ? 's' : ''}: ${escapeText(reason)}`,
        tone: 'good',
      });
  }
  return lines;
}

export function totalLine(plan: PrunePlan): string {
  if (plan.predictedFreedBytes === null)
    return `Total: frees ? on disk (unknown: the disk figures need the helper: ${plan.diskUnknown ?? 'not measured'}) · Docker's estimate ${size(plan.dockerEstimateBytes)}`;
  const diff = plan.predictedFreedBytes - plan.dockerEstimateBytes;
  return `Total: frees ${size(plan.predictedFreedBytes)} on disk · Docker's estimate ${size(plan.dockerEstimateBytes)} (the disk gets ${size(Math.abs(diff))} ${diff >= 0 ? 'more' : 'less'})`;
}

export const EXPLAIN: string =
  'What this is: the exact list `docker system prune` would remove (with -a: every image no ' +
  "container uses), in Docker's order: stopped containers, unused networks, volumes (only with " +
  '--volumes: anonymous ones), images, build cache. FREES DISK is what the disk really gets back, ' +
  'measured by layertop: a layer counts only when no image that stays uses it; metadata, logs and ' +
  "content blobs included. DOCKER is Docker's own figure for the same items. Nothing is forced: " +
  'running containers and their images stay. Press D, type yes and Enter to run it; layertop ' +
  'checks again first and shows anything that changed. Afterwards it measures the disk again. ' +
  "Docker's estimate in the total is the sum of the DOCKER figures: containers' SizeRw, volumes' " +
  "sizes, each image's size less what it shares with other images (so a layer only removed images " +
  "share counts for none), the build cache's size; `docker system df` prints no such sum.";

export function changeLines(flow: PruneFlow): Line[] {
  const c = flow.change;
  if (!c) return [];
  return [
    { text: 'The engine changed since the preview:', tone: 'warn' },
    ...c.added.map((i) => ({
      text: `  + ${i.kind} ${escapeText(i.name)}`,
      right: diskText(i.diskBytes),
      tone: 'danger' as Tone,
    })),
    ...c.changed.map((ch) => {
      const how = changedHow(ch);
      const was =
        'was' in how ? `was ${escapeText(how.was)}` : 'created again since the preview: another volume';
      return {
        text: `  ~ ${ch.after.kind} ${escapeText(ch.after.name)} (${was}; still removed)`,
        right: diskText(ch.after.diskBytes),
        tone: 'danger' as Tone,
      };
    }),
    ...c.dropped.map((i) => ({
      text: `  - ${i.kind} ${escapeText(i.name)} (now kept)`,
      tone: 'good' as Tone,
    })),
    {
      text:
        c.bytesDelta === null
          ? '  frees ? against the preview (the disk was not measured)'
          : `  frees ${size(Math.abs(c.bytesDelta))} ${c.bytesDelta >= 0 ? 'more' : 'less'} than the preview said`,
      tone: 'warn',
    },
  ];
}

export function reportLines(flow: PruneFlow): Line[] {
  const r = flow.report;
  if (!r) return [];
  const fig = (n: number | null) =>
    n === null ? (r.afterError ? 'unknown' : 'not measured (no helper)') : size(n);
  return [
    {
      text: `Removed ${counted(r.removed.length, 'item', 'items')}${r.failed.length ? `, ${r.failed.length} failed` : ''}`,
      tone: 'heading',
    },
    ...r.failed.map((f) => ({
      text: `  ${f.kind} ${escapeText(f.name)}: ${escapeText(f.error ?? '')}`,
      tone: 'danger' as Tone,
    })),
    ...r.skipped.map((f) => ({
      text: `  left alone: ${f.kind} ${escapeText(f.name)}: ${escapeText(f.reason ?? '')}`,
      tone: 'warn' as Tone,
    })),
    ...r.alreadyRemoved.map((f) => ({
      text: `  already removed: ${f.kind} ${escapeText(f.name)}`,
      tone: 'dim' as Tone,
    })),
    ...[...r.removed, ...r.skipped, ...r.alreadyRemoved, ...r.failed].flatMap((f) =>
      (f.notes ?? []).map((n) => ({
        text: `  ${f.kind} ${escapeText(f.name)}: ${escapeText(n)}`,
        tone: 'warn' as Tone,
      })),
    ),
    { text: 'Predicted by layertop', right: fig(r.predictedFreedBytes), tone: 'plain' },
    { text: 'Reported by Docker', right: fig(r.dockerReportedBytes), tone: 'plain' },
    ...estimateNote(r),
    { text: 'Measured on disk', right: fig(r.measuredFreedBytes), tone: 'good' },
    ...((o) => (o ? [{ text: `(${o})`, tone: 'dim' as Tone, paragraph: { indent: '  ' } }] : []))(
      othersNote(r.alreadyRemoved.length, r.measuredFreedBytes),
    ),
    ...(r.afterError
      ? [
          {
            text: `Removed as listed above, but ${escapeText(r.afterError)}`,
            tone: 'warn' as Tone,
            paragraph: { indent: '  ' },
          },
        ]
      : []),
  ];
}

/** Docker's two figures, when they differ, with the reason (model/prune-plan.ts). */
function estimateNote(r: NonNullable<PruneFlow['report']>): Line[] {
  if (r.dockerReportedBytes === null) return [];
  const items = [...r.removed, ...r.skipped, ...r.alreadyRemoved, ...r.failed];
  const note = dockerFiguresNote(r.dockerEstimateBytes, r.dockerReportedBytes, size, cacheOnly(items));
  // A paragraph (a panel line is cut at the screen's edge, and the note is 250 characters): read
  // whole at any width, the report scrolling as it does.
  return note ? [{ text: `(${note})`, tone: 'dim', paragraph: { indent: '  ' } }] : [];
}
