import { Box, Text } from 'ink';
import { escapeText } from '../../model/escape.js';
import { freedIfRemoved } from '../../model/freed.js';
import type { ScanModel } from '../../model/report.js';
import { shortId, size } from '../format.js';
import type { Row } from '../state/tree-rows.js';
import type { Theme } from '../theme.js';

function Field(props: { name: string; value: string; theme: Theme }) {
  return (
    <Text wrap="truncate-end">
      <Text color={props.theme.color('dim')}>{props.name.padEnd(12)}</Text>
      {props.value}
    </Text>
  );
}

function imageNames(model: ScanModel, ids: readonly string[]): string[] {
  return ids.map((id) => {
    const img = model.inputs.images.find((i) => i.id === id);
    return img?.tags.length ? img.tags.map(escapeText).join(', ') : `<none> ${shortId(id)}`;
  });
}

/** Everything about the selected row; the bytes freed come from model/freed.ts. */
export function DetailPane(props: {
  model: ScanModel;
  row: Row | undefined;
  width: number;
  height: number;
  theme: Theme;
  /** Wasted bytes per layer (chain ID), known once an image's files were listed (the files pane). */
  wasted?: ReadonlyMap<string, { bytes: number; image: string }> | undefined;
}) {
  const { model, row, theme, width, height } = props;
  const lines: [string, string][] = [];
  if (row?.kind === 'layer' && row.chainId) {
    const n = model.graph.layers.get(row.chainId);
    if (n) {
      const users = imageNames(model, n.images);
      const containers = model.inputs.containers.filter((c) => n.images.includes(c.imageId));
      lines.push(
        ['chain id', n.chainId],
        ['diff id', n.diffId],
        ['directory', escapeText(n.path ?? 'unknown (no helper)')],
        ['command', escapeText(n.createdBy ?? '-')],
        ['size', `${size(n.size)} (Docker)   measured ${size(n.measuredSize)}`],
        ['disk', `${size(n.diskBytes)} allocated`],
        ['shared', n.images.length > 1 ? `yes, by ${n.images.length} images` : 'no (unique)'],
        ['images', users.join('; ') || '-'],
        ['containers', containers.map((c) => escapeText(c.name)).join(', ') || '-'],
      );
      const w = props.wasted?.get(n.chainId);
      lines.push([
        'wasted',
        w
          ? `${size(w.bytes)} (files later layers of ${escapeText(w.image)} replace or delete)`
          : 'press f to list the files and count it',
      ]);
      if (row.imageId) {
        lines.push([
          'if removed',
          `${size(freedIfRemoved(model, { images: [row.imageId], containers: [] }))} freed (this image)`,
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
        ['disk', `${size(img.diskBytes)}  unique ${size(img.uniqueDiskBytes)}`],
        ['docker says', `${size(img.engineSize)} (shared ${size(img.engineSharedSize)})`],
        ['containers', cs.map((c) => `${escapeText(c.name)} (${c.state})`).join(', ') || '-'],
        [
          'if removed',
          cs.length
            ? `in use by ${cs.length} container(s): ${size(freedIfRemoved(model, { images: [img.id], containers: cs.map((c) => c.id) }))} with them`
            : `${size(freedIfRemoved(model, { images: [img.id], containers: [] }))} freed`,
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
        ['size rw', `${size(c.sizeRw ?? 0)} (Docker)`],
        ['disk', `${size(c.diskBytes)} layers + ${size(c.metaDiskBytes)} logs/config`],
        ['if removed', `${size(freedIfRemoved(model, { images: [], containers: [c.id] }))} freed`],
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
        ['disk', size(v.diskBytes)],
      );
    }
  }
  if (row?.kind === 'leftovers') {
    const l = model.report.leftovers;
    lines.push(
      ['leftovers', `${l.directories.length} directories`],
      ['what', 'layers of containers the engine no longer lists: a removal could not delete them'],
      ['disk', size(l.diskBytes)],
      ['if removed', 'no prune removes them; see layertop scan'],
    );
  }
  if (row?.kind === 'build-cache') {
    const b = model.inputs.buildCache;
    lines.push(
      ['build cache', `${b.records} records`],
      ['size', `${size(b.size)} (Docker, not shared with images)`],
      ['disk', `${size(b.diskBytes)} incl. BuildKit's databases`],
      ['if removed', `${size(b.freedDiskBytes ?? b.diskBytes)} freed`],
    );
  }
  return (
    <Box flexDirection="column" width={width} height={height} paddingLeft={1}>
      <Text bold color={theme.color('accent')}>
        Details
      </Text>
      {lines.slice(0, Math.max(0, height - 1)).map(([k, v]) => (
        <Field key={k} name={k} value={v} theme={theme} />
      ))}
    </Box>
  );
}
