// `layertop builder du`: BuildKit's cache records as a tree (parents from the API), each with its
// type, build step, times, uses, whether it is in use or shared with an image, Docker's size and
// the disk bytes it really frees (model/build-cache.ts, engine/scan.ts attributeRecords).

import { scanEngine } from '../engine/scan.js';
import { byLastUsed, bySize, cacheTree } from '../model/build-cache.js';
import { escapeText } from '../model/escape.js';
import { recordReport } from '../model/report.js';
import type { BuildCacheRecord } from '../model/types.js';
import type { CliArgs } from './args.js';
import { diskSize, sizeText, table } from './format.js';
import { jsonText } from './json-safe.js';
import { openSession } from './open-session.js';
import { relativeTime } from './scan-table.js';

function flags(r: BuildCacheRecord): string {
  return [r.inUse ? 'in use' : '', r.shared ? 'shared' : ''].filter(Boolean).join(', ') || '-';
}

export function builderDuText(records: readonly BuildCacheRecord[], sort: CliArgs['sort']): string {
  if (!records.length) return 'The build cache is empty.';
  const rows = cacheTree(records, sort === 'last-used' ? byLastUsed : bySize).map(({ record: r, depth }) => [
    `${'  '.repeat(Math.min(depth, 12))}${r.id.slice(0, 12)}`,
    r.type,
    relativeTime(r.created),
    r.lastUsed === null ? '-' : relativeTime(r.lastUsed),
    String(r.usageCount),
    flags(r),
    sizeText(r.size),
    diskSize(r.diskBytes),
    escapeText(r.description).slice(0, 80),
  ]);
  const disk = records.every((r) => r.diskBytes !== undefined)
    ? sizeText(records.reduce((a, r) => a + (r.diskBytes ?? 0), 0))
    : 'unknown';
  const docker = sizeText(records.filter((r) => !r.shared).reduce((a, r) => a + r.size, 0));
  return [
    table(
      ['ID', 'TYPE', 'CREATED', 'LAST USED', 'USES', 'STATE', "DOCKER'S SIZE", 'ON DISK', 'DESCRIPTION'],
      rows,
    ),
    '',
    `${records.length} records. \`docker system df\` counts ${docker} reclaimable (the records not shared); on disk they hold ${disk}.`,
    'A shared record frees what ON DISK says: the image keeps its own layer, not the copy the cache holds.',
  ].join('\n');
}

export async function builderDuCommand(args: CliArgs): Promise<number> {
  const { client, info, helper, cache, close } = await openSession(args);
  try {
    const model = await scanEngine(client, { helper, cache, info, noHelperReason: '--no-helper' });
    const records = model.inputs.buildCache.items ?? [];
    const tree = cacheTree(records, args.sort === 'last-used' ? byLastUsed : bySize);
    process.stdout.write(
      args.json
        ? `${jsonText({ records: tree.map(({ record, depth }) => ({ ...recordReport(record, model.inputs.diskUnknown === undefined), depth })) }, 2)}\n`
        : `${builderDuText(records, args.sort)}\n`,
    );
    return 0;
  } finally {
    await close();
  }
}
