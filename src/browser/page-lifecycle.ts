/**
 * Lifecycle signals of the page (or of a native host), in one vocabulary: `wake` (the app came to
 * the foreground or back from bfcache/freeze), `sleep`, `online`, `offline`.
 */
export type LifecycleSignal = 'wake' | 'sleep' | 'online' | 'offline';

/** A source of lifecycle signals. `cause` names the DOM event (or the host's word) for diagnostics. */
export interface LifecycleSource {
  /** Start listening; returns the function that stops. */
  subscribe(listener: (signal: LifecycleSignal, cause: string) => void): () => void;
  /** Whether the network is up now. Default (when absent): true. */
  isOnline?(): boolean;
}

interface EventSource {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/** Where {@link windowLifecycle} listens; defaults to the page's `window` and `document`. */
export interface WindowLifecycleTargets {
  /** Where `pageshow`, `pagehide`, `online` and `offline` fire; `navigator.onLine` gives the first state. */
  window: EventSource & { navigator?: { onLine?: boolean } };
  /** Where `visibilitychange`, `freeze` and `resume` fire. */
  document: EventSource & { visibilityState?: string };
}

/**
 * The browser's lifecycle events as {@link LifecycleSignal}s: `visibilitychange` (visible → wake,
 * hidden → sleep), `pageshow` from bfcache → wake, `pagehide` → sleep, `freeze` → sleep,
 * `resume` → wake, `online`, `offline`.
 *
 * @param targets default: `globalThis.window` and `globalThis.document`.
 */
export function windowLifecycle(targets?: WindowLifecycleTargets): LifecycleSource {
  const g = globalThis as unknown as Partial<WindowLifecycleTargets>;
  const win = targets?.window ?? g.window;
  const doc = targets?.document ?? g.document;
  return {
    isOnline: () => win?.navigator?.onLine !== false,
    subscribe(listener) {
      if (win === undefined || doc === undefined) return () => undefined;
      const onWindow: Record<string, (e?: Event) => void> = {
        pageshow: (e) => {
          // A first load also fires pageshow; only a page restored from bfcache is a wake.
          if ((e as PageTransitionEvent | undefined)?.persisted) listener('wake', 'pageshow');
        },
        pagehide: () => listener('sleep', 'pagehide'),
        online: () => listener('online', 'online'),
        offline: () => listener('offline', 'offline'),
      };
      const onDocument: Record<string, () => void> = {
        visibilitychange: () => listener(doc.visibilityState === 'hidden' ? 'sleep' : 'wake', 'visibilitychange'),
        freeze: () => listener('sleep', 'freeze'),
        resume: () => listener('wake', 'resume'),
      };
      for (const [type, fn] of Object.entries(onWindow)) win.addEventListener(type, fn);
      for (const [type, fn] of Object.entries(onDocument)) doc.addEventListener(type, fn);
      return () => {
        for (const [type, fn] of Object.entries(onWindow)) win.removeEventListener(type, fn);
        for (const [type, fn] of Object.entries(onDocument)) doc.removeEventListener(type, fn);
      };
    },
  };
}

/** A {@link LifecycleSource} that a host drives itself (Electron, a WKWebView shell, tests). */
export interface HostLifecycle extends LifecycleSource {
  /** The app came to the foreground (window focused, app resumed). */
  foreground(): void;
  /** The app went to the background. */
  background(): void;
  /** The network came back. */
  online(): void;
  /** The network went away. */
  offline(): void;
}

/**
 * Lifecycle for hosts that know better than the DOM: a desktop or iOS shell calls
 * `foreground()` / `background()` / `online()` / `offline()` from its own notifications.
 *
 * @param initiallyOnline default true.
 */
export function hostLifecycle(initiallyOnline = true): HostLifecycle {
  const listeners = new Set<(signal: LifecycleSignal, cause: string) => void>();
  let online = initiallyOnline;
  const emit = (signal: LifecycleSignal, cause: string): void => {
    for (const l of [...listeners]) l(signal, cause);
  };
  return {
    isOnline: () => online,
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    foreground: () => emit('wake', 'host_foreground'),
    background: () => emit('sleep', 'host_background'),
    online() {
      online = true;
      emit('online', 'host_online');
    },
    offline() {
      online = false;
      emit('offline', 'host_offline');
    },
  };
}
