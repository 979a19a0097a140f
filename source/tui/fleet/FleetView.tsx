import { Box, Text, useWindowSize } from 'ink';
import { useMemo, useState } from 'react';
import { escapeText } from '../../model/escape.js';
import { disk, fitCells } from '../format.js';
import { useKeys } from '../keys-to.js';
import { makeTheme } from '../theme.js';
import { type AcrossEngines, type FleetEngine, fleetRows } from './fleet-rows.js';

/**
 * The fleet's top level: one row per engine with its totals (images, layers, the data root on
 * disk, what a prune -a frees, layers it shares with other engines). Enter opens the engine's
 * explorer (everything below as with one engine); r scans again; q quits.
 */
export function FleetView(props: {
  engines: readonly FleetEngine[];
  across: AcrossEngines;
  onOpen: (index: number) => void;
  onRescan: () => void;
  onQuit: () => void;
  size?: { columns: number; rows: number };
  /** Where the cursor starts (back from an engine: on it). */
  initial?: number;
}) {
  const term = useWindowSize();
  const columns = props.size?.columns ?? term.columns ?? 80;
  const theme = useMemo(() => makeTheme(), []);
  const [cursor, setCursor] = useState(props.initial ?? 0);
  const rows = fleetRows(props.engines, props.across);
  // Through useKeys: an inline handler given to Ink kept the first render's engines (their models).
  useKeys((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) props.onQuit();
    else if (key.downArrow || input === 'j') setCursor((c) => Math.min(rows.length - 1, c + 1));
    else if (key.upArrow || input === 'k') setCursor((c) => Math.max(0, c - 1));
    else if (key.return || key.rightArrow || input === 'l') {
      if (props.engines[cursor]?.phase === 'ready') props.onOpen(cursor);
    } else if (input === 'r') props.onRescan();
  });
  const ready = props.engines.filter((e) => e.phase === 'ready').length;
  const failed = props.engines.filter((e) => e.phase === 'error').length;
  const sum = (f: (r: (typeof rows)[number]) => number | null) =>
    rows.every((r) => f(r) !== null || r.status.startsWith('error'))
      ? rows.reduce((a, r) => a + (f(r) ?? 0), 0)
      : null;
  const header = `${'ENGINE'.padEnd(18)} ${'STATUS'.padEnd(10)} ${'IMAGES'.padStart(6)} ${'LAYERS'.padStart(6)} ${'ON DISK'.padStart(9)} ${'PRUNE -A'.padStart(9)} ${'SHARED'.padStart(6)}  HOST`;
  const sharedAll = [...props.across.values()].filter((a) => a.engines > 1);
  const sharedBytes = sharedAll.every((a) => a.diskBytes !== null)
    ? sharedAll.reduce((a, x) => a + (x.diskBytes ?? 0), 0)
    : null;
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        {`layertop fleet: ${props.engines.length} engines, ${ready} scanned${failed ? `, ${failed} failed` : ''}  · on disk ${disk(sum((r) => r.diskBytes))} · a prune -a frees ${disk(sum((r) => r.reclaimableBytes))}`}
      </Text>
      <Text color={theme.color('dim')} wrap="truncate">
        {header}
      </Text>
      {rows.map((r, i) => {
        const error = r.status.startsWith('error');
        const line = `${fitCells(escapeText(r.label), 18)} ${fitCells(error ? 'error' : r.status, 10)} ${String(r.images ?? '…').padStart(6)} ${String(r.layers ?? '…').padStart(6)} ${disk(r.diskBytes).padStart(9)} ${disk(r.reclaimableBytes).padStart(9)} ${String(r.sharedLayers).padStart(6)}  ${escapeText(r.host)}`;
        return (
          <Text
            key={`${r.label}|${r.host}`}
            inverse={i === cursor}
            color={error ? theme.color('danger') : undefined}
            wrap="truncate"
          >
            {fitCells(line, columns)}
          </Text>
        );
      })}
      {rows[cursor]?.status.startsWith('error') ? (
        <Text color={theme.color('danger')} wrap="wrap">
          {escapeText(rows[cursor]?.status ?? '')}
        </Text>
      ) : null}
      <Text color={theme.color('dim')} wrap="truncate">
        {`${sharedAll.length} layers are on several engines (${disk(sharedBytes)} across them)`}
      </Text>
      <Text color={theme.color('dim')} wrap="truncate">
        ↑↓ move Enter open the engine (q there comes back) r scan again q quit
      </Text>
    </Box>
  );
}
