import { escapeText } from '../model/escape.js';

/**
 * A JSON.parse (or read) failure in one line: V8 quotes the start of the text, newlines and all,
 * and the line cut at the first newline left a quote open ("Unexpected token 'o', \"nope").
 */
export function jsonErrorText(err: unknown): string {
  const text = escapeText((err as Error)?.message ?? String(err));
  return text.length > 160 ? `${text.slice(0, 159)}…` : text || 'unreadable';
}
