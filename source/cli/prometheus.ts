// `layertop scan --format prometheus`: the Prometheus text exposition format (0.0.4), for
// node_exporter's textfile collector or a cron job. Pure: it formats scans already made.
// Names follow Prometheus' conventions: the layertop_ prefix, base units (_bytes, _seconds),
// gauges for what goes up and down (counts of images are gauges, so no _total), one HELP and one
// TYPE line per metric, labels context and host on every sample.
import type { Ledger } from '../model/ledger.js';

export interface EngineMetrics {
  context: string;
  host: string;
  ok: boolean;
  durationSeconds: number;
  ledger?: Ledger | null;
  reclaimableBytes?: number | null;
  dockerReclaimableBytes?: number;
  images?: number;
  layers?: number;
  containers?: number;
  buildCacheRecords?: number;
}

interface Metric {
  name: string;
  help: string;
  samples: { labels: Record<string, string>; value: number }[];
}

/** A label value as the format wants it: backslash, double quote and newline escaped. */
export function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

const help = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function sample(name: string, labels: Record<string, string>, value: number): string {
  const l = Object.entries(labels)
    .map(([k, v]) => `${k}="${labelValue(v)}"`)
    .join(',');
  return `${name}{${l}} ${Number.isFinite(value) ? value : 'NaN'}`;
}

export function prometheusText(engines: readonly EngineMetrics[]): string {
  const metrics: Metric[] = [
    {
      name: 'layertop_scan_success',
      help: '1 if layertop scanned the engine, 0 if it could not.',
      samples: [],
    },
    { name: 'layertop_scan_duration_seconds', help: 'How long the scan of the engine took.', samples: [] },
    {
      name: 'layertop_data_root_bytes',
      help: "Bytes the engine's data root takes on disk (du -sx -B1), measured by layertop.",
      samples: [],
    },
    {
      name: 'layertop_data_root_category_bytes',
      help: 'Bytes of the data root on disk by what holds them (the disk ledger); the categories sum to layertop_data_root_bytes.',
      samples: [],
    },
    {
      name: 'layertop_reclaimable_bytes',
      help: 'Bytes on disk that `docker system prune` with the given rule would give back, as layertop predicts them.',
      samples: [],
    },
    {
      name: 'layertop_docker_reclaimable_bytes',
      help: "Docker's own estimate for the same prune (apparent bytes), for comparison.",
      samples: [],
    },
    { name: 'layertop_images', help: 'Images on the engine.', samples: [] },
    { name: 'layertop_layers', help: 'Distinct image layers on the engine.', samples: [] },
    { name: 'layertop_containers', help: 'Containers on the engine, in any state.', samples: [] },
    {
      name: 'layertop_build_cache_records',
      help: "BuildKit's build-cache records on the engine.",
      samples: [],
    },
  ];
  const by = new Map(metrics.map((m) => [m.name, m]));
  const add = (name: string, labels: Record<string, string>, value: number | null | undefined) => {
    if (value === null || value === undefined) return;
    by.get(name)?.samples.push({ labels, value });
  };
  for (const e of engines) {
    const base = { context: e.context, host: e.host };
    add('layertop_scan_success', base, e.ok ? 1 : 0);
    add('layertop_scan_duration_seconds', base, Math.round(e.durationSeconds * 1000) / 1000);
    if (!e.ok) continue;
    if (e.ledger) {
      add('layertop_data_root_bytes', base, e.ledger.totalBytes);
      for (const c of e.ledger.categories)
        add('layertop_data_root_category_bytes', { ...base, category: c.key }, c.bytes);
      add(
        'layertop_data_root_category_bytes',
        { ...base, category: 'unexplained' },
        e.ledger.unexplainedBytes,
      );
    }
    add('layertop_reclaimable_bytes', { ...base, rule: 'prune_all' }, e.reclaimableBytes);
    add('layertop_docker_reclaimable_bytes', { ...base, rule: 'prune_all' }, e.dockerReclaimableBytes);
    add('layertop_images', base, e.images);
    add('layertop_layers', base, e.layers);
    add('layertop_containers', base, e.containers);
    add('layertop_build_cache_records', base, e.buildCacheRecords);
  }
  const out: string[] = [];
  for (const m of metrics) {
    if (!m.samples.length) continue;
    out.push(`# HELP ${m.name} ${help(m.help)}`, `# TYPE ${m.name} gauge`);
    for (const s of m.samples) out.push(sample(m.name, s.labels, s.value));
  }
  return `${out.join('\n')}\n`;
}
