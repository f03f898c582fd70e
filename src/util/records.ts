/**
 * A record with no prototype, for anything keyed by a topic, stream or document key. Those keys
 * come from the app, the server or a store file, and on a plain `{}` the keys `constructor`,
 * `toString` or `hasOwnProperty` read inherited functions and `__proto__` replaces the prototype
 * instead of adding an entry.
 */
export function emptyRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** `record[key]` when it is an own entry, else undefined (never an inherited member). */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

/**
 * Store `value` under `key` as an own property. Topics come off the wire, and a plain assignment of
 * the key `__proto__` would replace the object's prototype instead of adding an entry.
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** True when `record` has `key` as an own property (so `constructor` is never read from the prototype). */
export function hasOwn(record: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(record, key);
}
