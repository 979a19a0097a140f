import { type Key, useInput } from 'ink';
import { useLayoutEffect, useRef, useState } from 'react';

type KeyHandler = (input: string, key: Key) => void;

/** A key handler that calls whatever `handler` holds at the time. */
function keysTo(handler: { current: KeyHandler }): KeyHandler {
  return (input, key) => handler.current(input, key);
}

/**
 * Ink's useInput, with each key going to the latest render's `handler`.
 * - Swapped in a layout effect, in the commit that draws the frame: Ink re-subscribes in a
 *   passive effect, which can run after the next key is read, and a key pressed just after a
 *   frame (Esc closing the files pane, then "/") reached the handler of the frame before.
 * - Ink is given one function, made once outside any render: it subscribes the first handler
 *   for the component's life, and a closure made in a render keeps that render's whole scope
 *   with it (a scan's model: 21 MB at 1,322 images).
 */
export function useKeys(handler: KeyHandler): void {
  const latest = useRef(handler);
  useLayoutEffect(() => {
    latest.current = handler;
  });
  const [forward] = useState(() => keysTo(latest));
  useInput(forward);
}
