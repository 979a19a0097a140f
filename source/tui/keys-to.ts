import type { Key } from 'ink';

/**
 * A key handler for Ink's useInput that calls whatever `handler` holds at the time. Made once
 * (useState's initializer), outside any render: Ink subscribes the first handler it is given for
 * the component's life, and a closure made in a render keeps that render's whole scope with it
 * (a scan's model: 21 MB at 1,322 images).
 */
export function keysTo(handler: {
  current: (input: string, key: Key) => void;
}): (input: string, key: Key) => void {
  return (input, key) => handler.current(input, key);
}
