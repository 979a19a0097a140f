import type { CliArgs } from '../cli/args.js';

export async function runTui(_args: CliArgs): Promise<number> {
  process.stderr.write('layertop: the explorer is not built yet; use `layertop scan`\n');
  return 1;
}
