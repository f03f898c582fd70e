/** True for `localhost`, `127.0.0.0/8` and `::1` (as `URL.hostname` spells them, brackets or not). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1') return true;
  return /^127(?:\.\d{1,3}){3}$/.test(h);
}
