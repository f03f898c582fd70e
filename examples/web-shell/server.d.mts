/** Where the page finds the sync server (answered at /config.json). */
export interface WebShellConfig {
  /** Socket base URL of the sync server. */
  url: string;
  /** Token mint endpoint (`POST`). */
  tokenUrl: string;
  /** Snapshot endpoint base. */
  snapshotUrl: string;
  /** The two topics the page shows. */
  topics: string[];
  /** IndexedDB database name. Default in the page: `'khala-web-shell'`. */
  dbName?: string;
  /** Build id the page says it is, instead of the one compiled in (drills only). Default none. */
  [key: string]: unknown;
}

/** Options of {@link startWebShellServer}. */
export interface WebShellServerOptions {
  /** Directory of the deployed build (build.mjs output). */
  root: string;
  config: WebShellConfig;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default `'127.0.0.1'`. */
  host?: string;
}

/** A running static server. */
export interface WebShellServer {
  /** `http://host:port/`. */
  url: string;
  /** Serve another build directory from now on. */
  deploy(dir: string): void;
  /** Answer /config.json with `config` from now on. */
  setConfig(config: WebShellConfig): void;
  close(): Promise<void>;
}

export function startWebShellServer(options: WebShellServerOptions): Promise<WebShellServer>;
