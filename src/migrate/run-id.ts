/** `20261202T151007Z-3fa9c2`: sortable, unique enough per store, safe as a directory name. Browser-safe. */
export function newRunId(now = new Date()): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(3));
  const suffix = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${now.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '')}-${suffix}`;
}
