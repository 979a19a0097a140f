// Shell programs are bundled as text: esbuild's text loader (scripts/build.mjs), a plugin in vitest.config.ts.
declare module '*.sh' {
  const text: string;
  export default text;
}
