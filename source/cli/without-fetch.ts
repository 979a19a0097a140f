/**
 * Ink's layout engine (yoga, WebAssembly) loads its binary through fetch() when fetch exists, and
 * Node's fetch is undici, loaded and compiled on first touch: about 60 ms of start-up here.
 * Without fetch, yoga decodes the same embedded bytes directly. So fetch is hidden while the UI
 * code loads and put back as it was (its lazy getter never touched); nothing else uses it.
 */
export async function withoutFetch<T>(load: () => Promise<T>): Promise<T> {
  const original = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  if (!original?.configurable) return load();
  Object.defineProperty(globalThis, 'fetch', { value: undefined, configurable: true, writable: true });
  try {
    return await load();
  } finally {
    Object.defineProperty(globalThis, 'fetch', original);
  }
}
