import WebSocket from 'ws';

/** A raw WebSocket client for the reference Spacetime server: records every text frame. */
export interface RawClient {
  ws: WebSocket;
  frames: Array<Record<string, unknown>>;
  texts: string[];
  closed: Promise<{ code: number; reason: string }>;
  send(msg: unknown): void;
  /** Resolve with the next frame (after those already seen) whose tag is `tag`. */
  next(tag: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export function rawConnect(url: string, protocols: string[] = ['v1.json.spacetimedb']): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    const frames: Array<Record<string, unknown>> = [];
    const texts: string[] = [];
    let seen = 0;
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.on('message', (data) => {
      const text = data.toString();
      texts.push(text);
      frames.push(JSON.parse(text) as Record<string, unknown>);
    });
    ws.on('error', reject);
    ws.on('open', () =>
      resolve({
        ws,
        frames,
        texts,
        closed,
        send: (msg) => ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg)),
        next: (tag, timeoutMs = 3000) =>
          new Promise((res, rej) => {
            const started = Date.now();
            const tick = (): void => {
              while (seen < frames.length) {
                const f = frames[seen++]!;
                if (tag in f) return res(f[tag] as Record<string, unknown>);
              }
              if (Date.now() - started > timeoutMs) return rej(new Error(`no ${tag} frame`));
              setTimeout(tick, 5);
            };
            tick();
          }),
      }),
    );
  });
}

/** The HTTP status of a refused upgrade. */
export function upgradeStatus(url: string, protocols: string[]): Promise<number | 'open'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocols);
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      resolve('open');
      ws.close();
    });
    ws.on('error', () => undefined);
  });
}
