/** True for `localhost`, `127.0.0.0/8` and `::1` (as `URL.hostname` spells them, brackets or not). */
export function isLoopbackHost(hostname: string): boolean {
  return /^(?:(?:[\s\S]*\.)?localhost|::1|127(?:\.\d{1,3}){3})$/.test(hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, ''));
}
