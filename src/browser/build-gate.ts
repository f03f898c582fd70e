import { evaluateSkew, fetchBuildManifest, type RunningBuild, type SkewReason } from './build-skew.js';
import { promoteServiceWorker, type PromotionOptions, type PromotionResult } from './sw-promotion.js';

/**
 * What the app shows about its build, in order of appearance: `checking` → `none` (sync may start),
 * or `promoting` → `reloading` (the page is about to reload onto the new build) or
 * `hard_refresh_required` (sync is not started; the user must reload by hand).
 */
export type BuildGateState = 'checking' | 'none' | 'promoting' | 'reloading' | 'hard_refresh_required';

/** The outcome of {@link checkBuild}. */
export interface BuildGateResult {
  /** Where the gate ended: `none` (start sync), `reloading` (the page is reloading into the deployed build), `hard_refresh_required` (do not start sync; tell the user). */
  state: 'none' | 'reloading' | 'hard_refresh_required';
  /** Why: a skew reason, or `upgrade_required` when the server refused the build at join. */
  reason: SkewReason | 'upgrade_required';
  /** How promotion ended, when it was tried. */
  promotion?: PromotionResult;
  /** The deployed build id, when the manifest was read. */
  deployedBuildId?: string | null;
}

/** Options of {@link checkBuild}. */
export interface BuildGateOptions extends RunningBuild, PromotionOptions {
  /** Default `'/manifest.json'`. */
  manifestUrl?: string;
  /** Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Hears every state change (render it). Default none. */
  onState?: (state: BuildGateState, reason: SkewReason | 'upgrade_required') => void;
}

/**
 * Run before starting sync: read the deployed manifest (no-store), and on skew promote the
 * service worker. Resolves `none` (start sync), `reloading` (do nothing, the page reloads) or
 * `hard_refresh_required` (do not start sync; show the state). A manifest that cannot be read
 * counts as no skew.
 */
export async function checkBuild(options: BuildGateOptions): Promise<BuildGateResult> {
  options.onState?.('checking', 'none');
  const manifest = await fetchBuildManifest(options.manifestUrl ?? '/manifest.json', options.fetch);
  if (manifest === undefined) {
    options.onState?.('none', 'none');
    return { state: 'none', reason: 'none' };
  }
  const verdict = evaluateSkew(manifest, options);
  if (!verdict.skewed) {
    options.onState?.('none', 'none');
    return { state: 'none', reason: 'none', deployedBuildId: verdict.deployedBuildId };
  }
  return promote(verdict.reason, options, verdict.deployedBuildId);
}

/**
 * The server refused this build at join (`upgrade_required`): try the same promotion; if it cannot
 * move the page, the state is `hard_refresh_required`, as for a skew found in the manifest.
 */
export function onUpgradeRequired(options: PromotionOptions & Pick<BuildGateOptions, 'onState'>): Promise<BuildGateResult> {
  return promote('upgrade_required', options, undefined);
}

async function promote(reason: SkewReason | 'upgrade_required', options: PromotionOptions & Pick<BuildGateOptions, 'onState'>, deployedBuildId: string | null | undefined): Promise<BuildGateResult> {
  options.onState?.('promoting', reason);
  const promotion = await promoteServiceWorker(options);
  const state = promotion === 'reloading' ? 'reloading' : 'hard_refresh_required';
  options.onState?.(state, reason);
  return { state, reason, promotion, deployedBuildId };
}
