// One bundled ESM entry (plus lazily loaded chunks) keeps start-up cheap: loading Ink from
// node_modules is hundreds of small ES modules (~0.6 s); bundled it is one file. Split at the
// dynamic imports so `--help`, `--version` and `scan` never load Ink, and the first frame never
// waits for dockerode's transport. dockerode (CommonJS with optional native deps) stays external.
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
// Chunk names carry a content hash: old ones would pile up (and be packed) without this.
rmSync('dist/chunks', { recursive: true, force: true });

/** Ink imports react-devtools-core for its DEV=true mode only; layertop ships without it. */
const noDevtools = {
  name: 'no-devtools',
  setup(b) {
    b.onResolve({ filter: /^react-devtools-core$/ }, () => ({
      path: 'react-devtools-core',
      namespace: 'stub',
    }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: 'export default { initialize() {}, connectToDevTools() {} };',
    }));
  },
};

/**
 * dockerode loads gRPC at start for BuildKit build sessions (`buildImage` with a session), which
 * layertop never opens: a stub that says so if ever called keeps gRPC and protobuf out of the bundle
 * and out of every start.
 */
const noGrpc = {
  name: 'no-grpc',
  setup(b) {
    // protobufjs: for the same sessions (dockerode's buildkit.js), 170 KB of the engine chunk.
    b.onResolve({ filter: /^(@grpc\/(grpc-js|proto-loader)|protobufjs)$/ }, (a) => ({
      path: a.path,
      namespace: 'no-grpc',
    }));
    b.onLoad({ filter: /.*/, namespace: 'no-grpc' }, () => ({
      contents:
        "const no = () => { throw new Error('layertop does not open BuildKit sessions'); };" +
        'module.exports = new Proxy({}, { get: () => no });',
      loader: 'js',
    }));
  },
};

/**
 * docker-modem loads ssh2 at start for its own `ssh` protocol, which layertop never asks for: an
 * ssh:// engine goes through layertop's SshAgent (the `ssh` command, as the docker CLI does), over
 * the `http` protocol. ssh2 and its crypto were most of the engine chunk: 1.3 MB, 60-75 ms of
 * every start before the first request to the engine.
 */
const noSsh2 = {
  name: 'no-ssh2',
  setup(b) {
    b.onResolve({ filter: /^ssh2$/ }, (a) => ({ path: a.path, namespace: 'no-ssh2' }));
    b.onLoad({ filter: /.*/, namespace: 'no-ssh2' }, () => ({
      contents:
        // A function (docker-modem calls `new Client()`), so that the error says why.
        "function no() { throw new Error('layertop reaches ssh:// engines through the ssh command'); }" +
        'module.exports = { Client: no };',
      loader: 'js',
    }));
  },
};

/**
 * Ink 8's frame, made cheaper where its own code throws work away (issue 14: keys while the
 * explorer measures at scale). Every frame made a fresh cell object (and a fresh styles array) for
 * each of the screen's cells before writing the text over them, and fresh caches of each text's
 * styled characters and widths, so the rows that did not change were tokenized and measured again;
 * and the width of every text node was measured again with no cache at all. Shared here: one
 * frozen blank cell (nothing writes into a cell: a write puts another object in its place), the
 * caches across frames (pure functions of the text, dropped past 100,000 characters of text:
 * a styled character is an object of about 100 bytes, so at most 10 MB or so) and
 * Ink's own measureText cache for that width. What is drawn is the same; the whole-app tests in
 * tmux run this bundle. The build fails if Ink's code is not what these replacements expect.
 */
const inkFrameCost = {
  name: 'ink-frame-cost',
  setup(b) {
    const edits = {
      'output.js': [
        [
          '            this.styledChars.set(line, cached);',
          '            this.styledChars.set(line, cached);\n            this.chars = (this.chars ?? 0) + line.length;',
        ],
        [
          `                row.push({
                    type: 'char',
                    value: ' ',
                    fullWidth: false,
                    styles: [],
                });`,
          '                row.push(BLANK_CELL);',
        ],
        [
          `export default class Output {
    operations = [];
    caches = new OutputCaches();`,
          `const BLANK_CELL = Object.freeze({ type: 'char', value: ' ', fullWidth: false, styles: Object.freeze([]) });
let sharedCaches = new OutputCaches();
const frameCaches = () => {
    if ((sharedCaches.chars ?? 0) > 100000 || sharedCaches.widths.size > 20000 || sharedCaches.blockWidths.size > 4000) {
        sharedCaches = new OutputCaches();
    }
    return sharedCaches;
};
export default class Output {
    operations = [];
    caches = frameCaches();`,
        ],
      ],
      'render-node-to-output.js': [
        [
          "import wrapText from './wrap-text.js';",
          "import wrapText from './wrap-text.js';\nimport measureText from './measure-text.js';",
        ],
        ['const currentWidth = widestLine(text);', 'const currentWidth = measureText(text).width;'],
      ],
    };
    b.onLoad({ filter: /[\\/]ink[\\/]build[\\/](output|render-node-to-output)\.js$/ }, (a) => {
      const name = a.path.slice(a.path.lastIndexOf('/') + 1);
      let contents = readFileSync(a.path, 'utf8');
      for (const [from, to] of edits[name]) {
        if (contents.split(from).length !== 2)
          throw new Error(`ink-frame-cost: ${name} is not the Ink it was written for`);
        contents = contents.replace(from, () => to);
      }
      return { contents, loader: 'js' };
    });
  },
};

/**
 * docker-modem describes every request for its debug log with util.inspect (hidden properties,
 * no depth limit, the agent and its sockets included) before the log is asked whether it is on:
 * at the scale engine 20-30 ms of a warm scan's main thread (1.1-1.3 s in all, the thread its
 * critical path), for lines nobody sees. Only when DEBUG enables "modem" now. The build fails if
 * docker-modem's code is not what this expects.
 */
const modemQuietDebug = {
  name: 'modem-quiet-debug',
  setup(b) {
    const from = "  debug('Sending: %s', util.inspect(options, {";
    b.onLoad({ filter: /[\\/]docker-modem[\\/]lib[\\/]modem\.js$/ }, (a) => {
      const contents = readFileSync(a.path, 'utf8');
      if (contents.split(from).length !== 2)
        throw new Error('modem-quiet-debug: docker-modem is not the version it was written for');
      return {
        contents: contents.replace(
          from,
          () => `  if (debug.enabled) debug('Sending: %s', util.inspect(options, {`,
        ),
        loader: 'js',
      };
    });
  },
};

await build({
  entryPoints: ['source/cli/main.ts'],
  outdir: 'dist',
  entryNames: 'layertop',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  sourcemap: 'linked',
  jsx: 'automatic',
  external: ['cpu-features', '*.node'],
  plugins: [noDevtools, noGrpc, noSsh2, inkFrameCost, modemQuietDebug],
  // The helper's shell program (engine/helper/*.sh) goes in as text.
  loader: { '.sh': 'text' },
  // Bundled CommonJS (React, some of Ink's dependencies) calls require(): give ESM one.
  // and some read __dirname (dockerode's gRPC protos, used only for BuildKit sessions).
  banner: {
    js: [
      "import { createRequire as __layertopRequire } from 'node:module';",
      "import { fileURLToPath as __layertopPath } from 'node:url';",
      'const require = __layertopRequire(import.meta.url);',
      'const __filename = __layertopPath(import.meta.url);',
      "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
    ].join(' '),
  },
  define: { __LAYERTOP_VERSION__: JSON.stringify(version), 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
});
