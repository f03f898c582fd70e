import type { Metafile } from 'esbuild';

/** Options of {@link buildWebShell}. */
export interface WebShellBuildOptions {
  /** Output directory; emptied first. */
  outDir: string;
  /** Build id (`YYYYMMDDTHHMMSSZ`). Default: now, UTC. */
  buildId?: string;
  /** Oldest client build the deploy accepts. Default: the build's own id. */
  minClientBuildId?: string;
  /** Newest client build the deploy accepts. Default `null` (no upper bound). */
  maxClientBuildId?: string | null;
  /** Builds whose caches the service worker keeps and that the window allows (rollback). Default none. */
  rollbackBuildIds?: string[];
  /** Default `'khala.ws.v1'`. */
  protocolVersion?: string;
  /** Default 1. */
  syncSchemaMin?: number;
  /** Default 1. */
  syncSchemaMax?: number;
  /** Default true. */
  minify?: boolean;
}

/** manifest.json v2 as written by the build. */
export interface WebShellManifest {
  manifestVersion: string;
  buildId: string;
  entry: { html: string; js: string };
  compatibility: {
    protocolVersion: string;
    minClientBuildId: string;
    maxClientBuildId: string | null;
    syncSchemaMin: number;
    syncSchemaMax: number;
    rollbackBuildIds: string[];
  };
  serviceWorker: { script: string; cacheName: string; pinnedAssets: string[]; rollbackCaches: string[] };
}

/** One finished build. */
export interface WebShellBuild {
  outDir: string;
  buildId: string;
  manifest: WebShellManifest;
  metafile: Metafile;
}

export function utcBuildId(date?: Date): string;
export function cacheName(buildId: string): string;
export function buildWebShell(options: WebShellBuildOptions): Promise<WebShellBuild>;
