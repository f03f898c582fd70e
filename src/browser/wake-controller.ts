import type { ProbeResult } from '../client/liveness-probe.js';
import type { LifecycleSignal, LifecycleSource } from './page-lifecycle.js';

/** The part of a client the wake controller drives (`SyncClient` has it). */
export interface WakeTarget {
  /** Probe the socket on wake: `dead` replaces it at once. */
  probeConnection(timeoutMs: number): Promise<ProbeResult>;
  /** Hold reconnect attempts while offline (false); dial at once when back (true). */
  setNetworkAvailable(available: boolean): void;
}

/** Options of {@link attachWakeController}. */
export interface WakeControllerOptions {
  /** How long a wake probe waits for the heartbeat answer, ms. Default 3000. */
  probeTimeoutMs?: number;
  /** Told about every signal and probe outcome (diagnostics, the example's status line). Default none. */
  onEvent?: (event: WakeEvent) => void;
}

/** What the wake controller did. */
export type WakeEvent =
  | { type: 'signal'; signal: LifecycleSignal; cause: string }
  | { type: 'probe'; result: ProbeResult; cause: string };

/** A running wake controller. */
export interface WakeController {
  /** Whether the source last said the network is up. */
  readonly online: boolean;
  /** Probe now, as on a wake; concurrent calls share one probe. */
  wake(cause: string): Promise<ProbeResult | 'offline'>;
  /** Stop listening (the client is left as it is). */
  detach(): void;
}

/**
 * Connect lifecycle signals to a client: on `wake` probe the socket (a zombie is replaced); on
 * `offline` hold reconnect attempts; on `online` release them (the client dials at once) and probe
 * whatever socket survived. Wake signals that arrive while a probe is running join it, so a
 * `visibilitychange` and a `pageshow` together cause one probe and at most one reconnect.
 * `sleep` changes nothing: the socket may well survive a short background spell.
 */
export function attachWakeController(target: WakeTarget, source: LifecycleSource, options: WakeControllerOptions = {}): WakeController {
  const timeoutMs = options.probeTimeoutMs ?? 3000;
  let online = source.isOnline?.() ?? true;
  let inFlight: Promise<ProbeResult> | undefined;
  if (!online) target.setNetworkAvailable(false);

  const wake = (cause: string): Promise<ProbeResult | 'offline'> => {
    if (!online) return Promise.resolve('offline');
    if (inFlight === undefined) {
      inFlight = target.probeConnection(timeoutMs).then((result) => {
        inFlight = undefined;
        options.onEvent?.({ type: 'probe', result, cause });
        return result;
      });
    }
    return inFlight;
  };

  const stop = source.subscribe((signal, cause) => {
    options.onEvent?.({ type: 'signal', signal, cause });
    if (signal === 'offline') {
      online = false;
      target.setNetworkAvailable(false);
    } else if (signal === 'online') {
      online = true;
      target.setNetworkAvailable(true);
      void wake(cause);
    } else if (signal === 'wake') {
      void wake(cause);
    }
  });
  return {
    get online() {
      return online;
    },
    wake,
    detach: stop,
  };
}
