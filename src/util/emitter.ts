// The event surface of SyncClient and BrowserSync: the familiar on/off/once/emit with typed events,
// in the few lines the main entry needs (eventemitter3 cost ~1 KB min+gz of its budget).

// Listeners are stored untyped; the class's signatures keep callers typed.
type Listener = (...args: never[]) => void;

/**
 * A typed event emitter; `Events` maps each event name to its listener signature. Listeners run synchronously in registration order; one registered during an
 * emit is not called by that emit. Like eventemitter3 (and unlike Node's), an `error` event with no
 * listener is dropped rather than thrown.
 */
export class Emitter<Events extends { [E in keyof Events]: Listener }> {
  // Map, not an object: event names are never looked up on a prototype.
  private readonly listeners = new Map<keyof Events, Listener[]>();

  /** Call `listener` on every `event`. */
  on<E extends keyof Events>(event: E, listener: Events[E]): this {
    const list = this.listeners.get(event);
    if (list === undefined) this.listeners.set(event, [listener]);
    else list.push(listener);
    return this;
  }

  /** Call `listener` on the next `event` only. */
  once<E extends keyof Events>(event: E, listener: Events[E]): this {
    const wrapper = Object.assign((...args: Parameters<Events[E]>) => {
      this.off(event, wrapper as unknown as Events[E]);
      (listener as (...a: Parameters<Events[E]>) => void)(...args);
    }, { listener });
    return this.on(event, wrapper as unknown as Events[E]);
  }

  /** Remove one registration of `listener` (also one made with {@link once}). */
  off<E extends keyof Events>(event: E, listener: Events[E]): this {
    const list = this.listeners.get(event) ?? [];
    // A once() wrapper carries the listener it wraps, so off(event, listener) finds it.
    const i = list.findIndex((l) => l === listener || (l as { listener?: Listener }).listener === listener);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.listeners.delete(event);
    return this;
  }

  /** Remove every listener of `event`, or of every event. */
  removeAllListeners(event?: keyof Events): this {
    if (event === undefined) this.listeners.clear();
    else this.listeners.delete(event);
    return this;
  }

  /** Listeners registered for `event`. */
  listenerCount(event: keyof Events): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  /** Call the listeners of `event` with `args`; false when there were none. */
  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): boolean {
    const list = this.listeners.get(event);
    if (list === undefined) return false;
    for (const listener of list.slice()) (listener as (...a: Parameters<Events[E]>) => void)(...args);
    return true;
  }
}
