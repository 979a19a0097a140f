import { shortId } from '../model/digest.js';
import { escapeText } from '../model/escape.js';
import type { ScanReport } from '../model/report.js';
import { diskSize, sizeText, table } from './format.js';

export function relativeTime(unixSeconds: number, now = Date.now() / 1000): string {
  const s = Math.max(0, now - unixSeconds);
  const units: [number, string][] = [
    [365 * 86400, 'year'],
    [30 * 86400, 'month'],
    [7 * 86400, 'week'],
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ];
  for (const [secs, name] of units) {
    const n = Math.floor(s / secs);
    if (n >= 1) return `${n} ${name}${n > 1 ? 's' : ''} ago`;
  }
  return 'Less than a minute ago';
}

const short = shortId;
const opt = (n: number | null | undefined) => (n === null || n === undefined ? '-' : sizeText(n));

/** `docker system df -v`, with layertop's disk-bytes columns beside Docker's own. */
export function scanTable(report: ScanReport): string {
  const imageRows: string[][] = [];
  for (const img of report.images) {
    const tags = img.tags.length ? img.tags : ['<none>:<none>'];
    for (const tag of tags) {
      const at = tag.lastIndexOf(':');
      imageRows.push([
        escapeText(tag.slice(0, at)),
        escapeText(tag.slice(at + 1)),
        short(img.id),
        relativeTime(img.created),
        sizeText(img.size),
        sizeText(img.sharedSize),
        sizeText(img.uniqueSize),
        String(img.containers),
        diskSize(img.diskBytes),
        diskSize(img.uniqueDiskBytes),
      ]);
    }
  }
  const containerRows = report.containers.map((c) => [
    short(c.id),
    escapeText(c.image),
    escapeText(c.state),
    opt(c.sizeRw),
    diskSize(c.diskBytes),
    escapeText(c.name),
  ]);
  const volumeRows = report.volumes.map((v) => [escapeText(v.name), sizeText(v.size), diskSize(v.diskBytes)]);
  const t = report.totals;
  const e = report.engine;
  return [
    `Engine ${escapeText(e.host)}  Docker ${escapeText(e.version)}  storage ${e.storage}  data root ${escapeText(e.dataRoot)}`,
    ...(report.diskUnknown === null
      ? []
      : [
          `Disk: unknown. The disk figures need the helper, which did not run (${escapeText(report.diskUnknown)}); SIZE columns are Docker's own.`,
        ]),
    '',
    'Images space usage:',
    '',
    table(
      [
        'REPOSITORY',
        'TAG',
        'IMAGE ID',
        'CREATED',
        'SIZE',
        'SHARED SIZE',
        'UNIQUE SIZE',
        'CONTAINERS',
        'DISK',
        'UNIQUE DISK',
      ],
      imageRows,
    ),
    '',
    'Containers space usage:',
    '',
    table(['CONTAINER ID', 'IMAGE', 'STATUS', 'SIZE', 'DISK', 'NAMES'], containerRows),
    '',
    'Local Volumes space usage:',
    '',
    table(['VOLUME NAME', 'SIZE', 'DISK'], volumeRows),
    '',
    'Build cache usage:',
    '',
    table(
      ['RECORDS', 'SIZE', 'DISK'],
      [
        [
          String(report.buildCache.records),
          sizeText(report.buildCache.size),
          diskSize(report.buildCache.diskBytes),
        ],
      ],
    ),
    // DISK is the build cache's whole share of the data root, BuildKit's own databases included:
    // more than any prune frees (the explorer's detail pane says the same).
    ...(report.buildCache.diskBytes === null
      ? []
      : ["DISK includes BuildKit's own databases; what a prune of the cache frees: `layertop builder du`."]),
    '',
    ...leftoverLines(report),
    `Layers: ${t.layers} (${sizeText(t.layersSize)} in Docker's bytes, ${diskSize(t.layersDiskBytes)} on disk)`,
    ...ledgerLines(report),
  ].join('\n');
}

/** The disk ledger: every byte of the data root in one category, adding up to its total. */
function ledgerLines(report: ScanReport): string[] {
  const l = report.ledger;
  // Without the helper the header already says why every disk figure is unknown.
  if (!l)
    return report.diskUnknown ? [] : [`Disk ledger: unknown (${escapeText(report.ledgerUnknown ?? '')})`];
  const pct = (n: number) => (l.totalBytes ? `${((100 * n) / l.totalBytes).toFixed(1)}%` : '-');
  const rows = l.categories.map((c) => [c.label, sizeText(c.bytes), pct(c.bytes), String(c.items.length)]);
  rows.push([
    'Unexplained',
    sizeText(l.unexplainedBytes),
    pct(l.unexplainedBytes),
    String(l.unexplained.length),
  ]);
  return [
    '',
    `Disk ledger of ${escapeText(l.dataRoot)}: ${sizeText(l.totalBytes)} (${l.totalBytes} bytes) on disk, every byte in one category:`,
    table(['CATEGORY', 'DISK', 'SHARE', 'ITEMS'], rows),
  ];
}

/** Disk that neither Docker's listings nor any prune account for (shown only when there is some). */
function leftoverLines(report: ScanReport): string[] {
  const l = report.leftovers;
  if (!l.directories.length) return [];
  return [
    `Leftovers: ${diskSize(l.diskBytes)} on disk in ${l.directories.length} directories nothing references`,
    '(no prune frees them; `layertop leftovers` lists them and deletes them with proof):',
    ...l.directories.map((d) => `  ${escapeText(d)}`),
    '',
  ];
}
