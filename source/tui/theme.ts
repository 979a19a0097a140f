// Colours in one place. NO_COLOR (https://no-color.org) turns them all off.
export interface Theme {
  color: (name: keyof typeof PALETTE) => string | undefined;
}

const PALETTE = {
  accent: 'cyan',
  shared: 'yellow',
  unique: 'green',
  dim: 'gray',
  image: 'magenta',
  container: 'blue',
  danger: 'red',
  match: 'yellow',
} as const;

export function makeTheme(env: NodeJS.ProcessEnv = process.env): Theme {
  const off = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return { color: (name) => (off ? undefined : PALETTE[name]) };
}
