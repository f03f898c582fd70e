/** How a promotion attempt ended. */
export type PromotionResult =
  /** A new worker took control; the page is reloading onto it. */
  | 'reloading'
  /** No service worker (unsupported, or not registered). */
  | 'no_service_worker'
  /** `update()` found no new worker to promote. */
  | 'no_new_worker'
  /** A new worker was told to skip waiting but did not take control in time. */
  | 'timeout';

/** Options of {@link promoteServiceWorker}. */
export interface PromotionOptions {
  /** Default `navigator.serviceWorker`. */
  container?: ServiceWorkerContainer;
  /** How long to wait for `controllerchange`, ms. Default 4000. */
  timeoutMs?: number;
  /** Called once the new worker controls the page. Default `location.reload()`. */
  reload?: () => void;
}

/**
 * Move this page onto the newest deployed build: `registration.update()`, post
 * `{type: 'SKIP_WAITING'}` to the waiting (or installing) worker, wait up to `timeoutMs` for
 * `controllerchange`, then reload. Never throws.
 */
export async function promoteServiceWorker(options: PromotionOptions = {}): Promise<PromotionResult> {
  const container = options.container ?? (globalThis as { navigator?: { serviceWorker?: ServiceWorkerContainer } }).navigator?.serviceWorker;
  if (container === undefined) return 'no_service_worker';
  let registration: ServiceWorkerRegistration | undefined;
  try {
    registration = await container.getRegistration();
  } catch {
    return 'no_service_worker';
  }
  if (registration === undefined) return 'no_service_worker';
  try {
    await registration.update();
  } catch {
    // An unreachable sw.js: a worker found earlier may still be waiting.
  }
  const worker = registration.waiting ?? registration.installing;
  if (worker === null) return 'no_new_worker';
  const timeoutMs = options.timeoutMs ?? 4000;
  const changed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => done(false), timeoutMs);
    function done(ok: boolean): void {
      clearTimeout(timer);
      container!.removeEventListener('controllerchange', onChange);
      resolve(ok);
    }
    function onChange(): void {
      done(true);
    }
    container.addEventListener('controllerchange', onChange);
    worker.postMessage({ type: 'SKIP_WAITING' });
  });
  if (!changed) return 'timeout';
  (options.reload ?? (() => globalThis.location.reload()))();
  return 'reloading';
}
