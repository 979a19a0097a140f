import { Box, Text } from 'ink';
import { memo } from 'react';
import { escapeText } from '../../model/escape.js';
import { freedIfRemoved, heldByBuildCache } from '../../model/freed.js';
import { LEFTOVER_WHAT, leftoverKind } from '../../model/leftovers.js';
import { NOT_MEASURED_YET, type ScanModel } from '../../model/report.js';
import { shortId, size } from '../format.js';
import { useRenderEpoch } from '../render-epoch.js';
import type { Theme } from '../theme.js';
import type { Row } from './tree-rows.js';

function Field(props: { name: string; value: string; theme: Theme; whole: boolean }) {
  return (
    <Text wrap={props.whole ? 'wrap' : 'truncate-end'}>
      <Text color={props.theme.color('dim')}>{props.name.padEnd(12)}</Text>
      {/* Every value escaped where it is drawn (escaping escaped text changes nothing). */}
      {escapeText(props.value)}
    </Text>
  );
}

function imageNames(model: ScanModel, ids: readonly string[]): string[] {
  return ids.map((id) => {
    const img = model.inputs.images.find((i) => i.id === id);
    return img?.tags.length ? img.tags.map(escapeText).join(', ') : `<none> ${shortId(id)}`;
  });
}

/** A disk figure: "unknown" where the helper did not measure it (no helper), never 0. */
const disk = (n: number | null | undefined): string => (n === null || n === undefined ? 'unknown' : size(n));

/** What the build cache holds of an image, and what removing it together with the cache frees. */
function cacheNote(model: ScanModel, imageId: string, containers: string[]): string {
  const held = heldByBuildCache(model, [imageId]);
  if (held.layers === 0) return '';
  const withCache = freedIfRemoved(model, { images: [imageId], containers, buildCache: true });
  // The figure first: the line is cut at the pane's edge (a user saw "the build cache holds 15 of …").
  return `; ${disk(withCache)} with the build cache (it holds ${held.layers} of its layers, ${disk(held.diskBytes)})`;
}

/** Leftovers come back through `layertop leftovers`, which proves each one unreferenced first. */
const LEFTOVERS_RECLAIM =
  'no prune frees them; run `layertop leftovers`: it lists them, and after you type yes deletes each one a fresh scan still finds unreferenced, unmounted and unchanged for an hour, then measures';

/** How each category's bytes come back, if they do (the Disk view's details). */
const RECLAIM: Record<string, string> = {
  images:
    'remove the images that use them: Space on each image in the tree (on overlay2 also on its metadata item here), then d; a shared layer goes with the last image that has it',
  containers: 'Space marks the container, d removes it (its layers, config and logs go with it)',
  logs: 'the file goes with its container (Space, d); to cap it: --log-opt max-size=10m --log-opt max-file=3, or "log-opts" in daemon.json (applies to containers created after)',
  volumes: 'Space marks the volume, d removes it; one in use goes only after its containers',
  buildCache: 'Space marks the build cache, d removes it; open it in the tree (→) to mark single records',
  leftovers: LEFTOVERS_RECLAIM,
  otherStore:
    'the images of the image store not in use: switch the engine back to that store, remove them there, switch again (or delete the directories with the engine stopped)',
  engine: "the engine's own state (networks, databases, its containerd): not reclaimable through Docker",
  unexplained: 'no rule of layertop names it: see its path',
};

/** Categories whose bytes come back item by item (their reclaim text says Space on an item). */
const ITEM_WISE = new Set(['images', 'containers', 'logs', 'volumes']);

function ledgerFields(model: ScanModel, row: Row): [string, string][] {
  const l = model.report.ledger;
  if (!l) return [];
  const key = row.ledgerKey ?? '';
  const group =
    key === 'unexplained'
      ? { label: 'Unexplained', bytes: l.unexplainedBytes, items: l.unexplained }
      : l.categories.find((c) => c.key === key);
  if (!group) return [];
  const share = (n: number) => (l.totalBytes ? `${((100 * n) / l.totalBytes).toFixed(1)}%` : '-');
  if (row.kind === 'ledger')
    return [
      ['category', group.label],
      ['disk', `${size(group.bytes)} (${group.bytes} bytes), ${share(group.bytes)} of the data root`],
      ['items', String(group.items.length)],
      ['data root', `${escapeText(l.dataRoot)}: ${size(l.totalBytes)}, every byte in one category`],
      // The category row: Space there marks the build cache only; the others are marked item by item.
      [
        'reclaim',
        ITEM_WISE.has(key) ? `item by item (→ opens them): ${RECLAIM[key]}` : (RECLAIM[key] ?? '-'),
      ],
    ];
  const item = group.items.find((i) => i.path === row.ledgerPath);
  if (!item) return [];
  const fields: [string, string][] = [
    ['category', group.label],
    ['path', escapeText(`${l.dataRoot}/${item.path}`)],
    ['disk', `${size(item.bytes)} (${item.bytes} bytes)`],
  ];
  if (item.id) fields.push(['id', item.id]);
  if (item.name) fields.push(['name', escapeText(item.name)]);
  if (item.logDriver) {
    const opts = Object.entries(item.logOptions ?? {}).map(([k, v]) => `${k}=${v}`);
    fields.push([
      'log driver',
      `${item.logDriver}${opts.length ? ` (${opts.join(', ')})` : ' (no max-size: it grows without limit)'}`,
    ]);
  }
  if (item.usedBy) fields.push(['used by', item.usedBy.map(escapeText).join(', ')]);
  if (item.builder) fields.push(['builder', "a buildx builder's state (docker buildx rm removes it)"]);
  fields.push(['reclaim', RECLAIM[key] ?? '-']);
  return fields;
}

/** The fields the details pane shows for a row, in order (also counted to bound its scroll). */
export function detailFields(
  model: ScanModel,
  row: Row | undefined,
  wasted?: ReadonlyMap<string, { bytes: number; image: string; imageId: string }> | undefined,
  /** In a fleet: each layer (chain ID) on how many engines, and its disk bytes across them. */
  across?: ReadonlyMap<string, { engines: number; diskBytes: number | null }> | undefined,
): [string, string][] {
  const lines: [string, string][] = [];
  if (row?.kind === 'layer' && row.chainId) {
    const n = model.graph.layers.get(row.chainId);
    if (n) {
      const users = imageNames(model, n.images);
      const containers = model.inputs.containers.filter((c) => n.images.includes(c.imageId));
      lines.push(
        ['chain id', n.chainId],
        ['diff id', n.diffId],
        // (A tree shown before the walks, the API's or the scan's preview, knows no directories yet.)
        [
          'directory',
          escapeText(
            n.path ??
              `unknown (${model.inputs.diskUnknown === NOT_MEASURED_YET ? NOT_MEASURED_YET : 'no helper'})`,
          ),
        ],
        ['command', escapeText(n.createdBy ?? '-')],
        ['size', `${size(n.size)} (Docker)   measured ${disk(n.measuredSize)}`],
        ['disk', n.diskBytes === undefined ? 'unknown' : `${size(n.diskBytes)} allocated`],
        ['shared', n.images.length > 1 ? `yes, by ${n.images.length} images` : 'no (unique)'],
        ['images', users.join('; ') || '-'],
        ['containers', containers.map((c) => escapeText(c.name)).join(', ') || '-'],
      );
      const fleet = across?.get(n.chainId);
      if (fleet)
        lines.push([
          'engines',
          fleet.engines > 1
            ? `on ${fleet.engines} engines of the fleet: ${disk(fleet.diskBytes)} across them`
            : 'on this engine only',
        ]);
      // Learnt from an image listed in the files pane: said while that image still has the layer
      // (once it is removed, its name must not linger here).
      const learnt = wasted?.get(n.chainId);
      const w = learnt && n.images.includes(learnt.imageId) ? learnt : undefined;
      lines.push([
        'wasted',
        w
          ? `${size(w.bytes)} (files later layers of ${escapeText(w.image)} replace or delete)`
          : 'press f to list the files and count it',
      ]);
      if (row.imageId) {
        lines.push([
          'if removed',
          `${disk(freedIfRemoved(model, { images: [row.imageId], containers: [] }))} freed (this image)`,
        ]);
      }
    }
  } else if (row?.kind === 'image' && row.imageId) {
    const img = model.report.images.find((i) => i.id === row.imageId);
    if (img) {
      const cs = model.inputs.containers.filter((c) => c.imageId === img.id);
      lines.push(
        ['image id', img.id],
        ['tags', img.tags.map(escapeText).join(', ') || '<none>'],
        ['created', new Date(img.created * 1000).toISOString().replace('T', ' ').slice(0, 19)],
        ['layers', String(img.layers.length)],
        ['size', `${size(img.size)}  shared ${size(img.sharedSize)}  unique ${size(img.uniqueSize)}`],
        ['disk', `${disk(img.diskBytes)}  unique ${disk(img.uniqueDiskBytes)}`],
        ['docker says', `${size(img.engineSize)} (shared ${size(img.engineSharedSize)})`],
        ['containers', cs.map((c) => `${escapeText(c.name)} (${c.state})`).join(', ') || '-'],
        [
          'if removed',
          (cs.length
            ? `in use by ${cs.length} container(s): ${disk(freedIfRemoved(model, { images: [img.id], containers: cs.map((c) => c.id) }))} with them`
            : `${disk(freedIfRemoved(model, { images: [img.id], containers: [] }))} freed`) +
            cacheNote(
              model,
              img.id,
              cs.map((c) => c.id),
            ),
        ],
      );
    }
  } else if (row?.kind === 'container' && row.containerId) {
    const c = model.inputs.containers.find((x) => x.id === row.containerId);
    if (c) {
      lines.push(
        ['container', c.id],
        ['name', escapeText(c.name)],
        ['image', escapeText(c.image)],
        ['state', c.state],
        ['writable', escapeText(c.path ?? 'unknown')],
        ['size rw', c.sizeRw === undefined ? 'none from Docker' : `${size(c.sizeRw)} (Docker)`],
        [
          'disk',
          c.diskBytes === undefined
            ? 'unknown'
            : `${size(c.diskBytes)} layers + ${disk(c.metaDiskBytes)} logs/config`,
        ],
        ['if removed', `${disk(freedIfRemoved(model, { images: [], containers: [c.id] }))} freed`],
      );
    }
  }
  if (row?.kind === 'volume') {
    const v = model.inputs.volumes.find((x) => x.name === row.volume);
    if (v) {
      const users = model.inputs.containers
        .filter((c) => c.volumes.includes(v.name))
        .map((c) => escapeText(c.name));
      lines.push(
        ['volume', escapeText(v.name)],
        [
          'kind',
          v.anonymous ? 'anonymous (prune --volumes takes it when unused)' : 'named (prune never takes it)',
        ],
        ['used by', users.length ? users.join(', ') : 'no container'],
        ['size', `${size(v.size)} (Docker)`],
        ['disk', disk(v.diskBytes)],
      );
    }
  }
  if (row?.kind === 'leftovers') {
    const l = model.report.leftovers;
    const kinds = [...new Set(l.directories.map(leftoverKind).filter((k) => k !== undefined))];
    lines.push(
      ['leftovers', `${l.directories.length} ${l.directories.length === 1 ? 'entry' : 'entries'}`],
      ...kinds.map((k): [string, string] => [k, LEFTOVER_WHAT[k]]),
      ['disk', disk(l.diskBytes)],
      ['if removed', 'no prune removes them'],
      ['reclaim', LEFTOVERS_RECLAIM],
    );
  }
  if (row?.kind === 'build-cache') {
    const b = model.inputs.buildCache;
    lines.push(
      ['build cache', `${b.records} records`],
      ['size', `${size(b.size)} (Docker, not shared with images)`],
      ['disk', b.diskBytes === undefined ? 'unknown' : `${size(b.diskBytes)} incl. BuildKit's databases`],
      ['if removed', `${disk(b.freedDiskBytes ?? b.diskBytes)} freed`],
      [
        'records',
        b.items ? '→ opens them: each with its step, last use and bytes; Space marks one' : 'unknown',
      ],
    );
  }
  if (row?.kind === 'cache-record') {
    const r = model.inputs.buildCache.items?.find((x) => x.id === row.recordId);
    if (r) {
      const when = (t: number | null) =>
        t === null ? 'never' : new Date(t * 1000).toISOString().replace('T', ' ').slice(0, 19);
      lines.push(
        ['record', r.id],
        ['type', r.type],
        ['step', r.description || '(none)'],
        ['created', when(r.created)],
        ['last used', when(r.lastUsed)],
        ['uses', String(r.usageCount)],
        [
          'state',
          [
            r.inUse ? 'in use (a build holds it: stays)' : 'not in use',
            r.shared ? "shared with an image's layers" : '',
          ]
            .filter(Boolean)
            .join(', '),
        ],
        ['size', `${size(r.size)} (Docker${r.shared ? '; docker system df counts it as 0: shared' : ''})`],
        ['disk', disk(r.diskBytes)],
        ...(r.parents.length ? [['parent', r.parents.join(', ')] as [string, string]] : []),
        [
          'if removed',
          r.inUse
            ? 'stays (in use)'
            : `${disk(r.diskBytes)} freed; records built on it must go too (mark them), or it stays`,
        ],
        ...(r.dirs?.length
          ? [['on disk', [...r.dirs, ...(r.blob ? [r.blob.path] : [])].join(' ')] as [string, string]]
          : []),
        [
          'reclaim',
          'Space marks it, d removes the marked (layertop builder prune --filter id=... does the same)',
        ],
      );
    }
  }
  if (row?.kind === 'ledger' || row?.kind === 'ledger-item') lines.push(...ledgerFields(model, row));
  return lines;
}

/** Everything about the selected row; the bytes freed come from model/freed.ts. */
export const DetailPane = memo(function DetailPane(props: {
  model: ScanModel;
  row: Row | undefined;
  width: number;
  height: number;
  theme: Theme;
  /** Wasted bytes per layer (chain ID), known once an image's files were listed (the files pane). */
  wasted?: ReadonlyMap<string, { bytes: number; image: string; imageId: string }> | undefined;
  /** Tab gave it the focus: values are shown whole (wrapped), and the arrows scroll it by field. */
  focused?: boolean | undefined;
  /** Fields scrolled off the top. */
  scroll?: number | undefined;
  /** In a fleet: each layer on how many engines (fleet-rows.ts acrossEngines). */
  across?: ReadonlyMap<string, { engines: number; diskBytes: number | null }> | undefined;
}) {
  useRenderEpoch();
  const { model, row, theme, width, height } = props;
  const lines = detailFields(model, row, props.wasted, props.across);
  return (
    // Wrapped values (the focused pane) can take more rows than it has: cut at its bottom edge.
    // No line may shrink to fit (flexShrink 0): a shrunk one is drawn over by the next, which left
    // "chain id" over the title and the end of a wrapped command beside "size" at 80 columns.
    <Box flexDirection="column" width={width} height={height} paddingLeft={1} overflow="hidden">
      <Box flexShrink={0}>
        <Text bold color={props.focused ? theme.color('accent') : undefined} wrap="truncate">
          Details{props.focused ? '  ↑↓ scroll  Tab back to the tree' : ''}
        </Text>
      </Box>
      {lines
        .slice(Math.min(props.scroll ?? 0, Math.max(0, lines.length - 1)))
        .slice(0, Math.max(0, height - 1))
        .map(([k, v]) => (
          <Box key={k} flexShrink={0}>
            <Field name={k} value={v} theme={theme} whole={props.focused === true} />
          </Box>
        ))}
    </Box>
  );
});
