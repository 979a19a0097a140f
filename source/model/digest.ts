/** The hex part of a digest or ID ("sha256:ab12…" → "ab12…"): file names in the stores, prefix matches. */
export const digestHex = (id: string): string => id.replace(/^sha256:/, '');

/** The 12-character short ID the docker CLI prints. */
export const shortId = (id: string): string => digestHex(id).slice(0, 12);
