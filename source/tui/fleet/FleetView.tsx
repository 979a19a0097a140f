import { Box, type Key, Text, useWindowSize } from 'ink';
import { useMemo, useRef, useState } from 'react';
import { escapeText } from '../../model/escape.js';
import { disk, fitCells, fitCellsEnd } from '../format.js';
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
  // The cursor the keys before this one left: keys read in one chunk ("j\r") act in turn, each
  // on where the one before it moved (Enter opened the row the chunk started on).
  const at = useRef(cursor);
  at.current = cursor;
  const rows = fleetRows(props.engines, props.across);
  const move = (to: number) => {
    at.current = Math.max(0, Math.min(rows.length - 1, to));
    setCursor(at.current);
  };
  const press = (input: string, key: Key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) props.onQuit();
    else if (key.downArrow || input === 'j') move(at.current + 1);
    else if (key.upArrow || input === 'k') move(at.current - 1);
    else if (key.return || key.rightArrow || input === 'l') {
      if (props.engines[at.current]?.phase === 'ready') props.onOpen(at.current);
    } else if (input === 'r') props.onRescan();
  };
  // Through useKeys: an inline handler given to Ink kept the first render's engines (their models).
  useKeys((input, key) => {
    if (input.length > 1 && !key.ctrl && !key.meta) {
      for (const part of input.split(/(\r\n|[\r\n])/)) {
        if (/^[\r\n]+$/.test(part)) press('', { ...key, return: true });
        else for (const ch of part) press(ch, { ...key, return: false });
      }
      return;
    }
    press(input, key);
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
        const line = `${fitCellsEnd(escapeText(r.label), 18)} ${fitCells(error ? 'error' : r.status, 10)} ${String(r.images ?? '…').padStart(6)} ${String(r.layers ?? '…').padStart(6)} ${disk(r.diskBytes).padStart(9)} ${disk(r.reclaimableBytes).padStart(9)} ${String(r.sharedLayers).padStart(6)}  ${escapeText(r.host)}`;
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
