// Replaced at bundle time by esbuild's define; the fallback serves runs from source (tests).
declare const __LAYERTOP_VERSION__: string | undefined;
export const VERSION = typeof __LAYERTOP_VERSION__ === 'string' ? __LAYERTOP_VERSION__ : '0.0.0-dev';
