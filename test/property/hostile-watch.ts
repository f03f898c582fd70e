import { afterAll, beforeAll, expect } from 'vitest';
import type { WebSocket } from 'ws';
import type { SyncClient } from '../../src/client/sync-client.js';
import { ErrorCodes } from '../../src/errors/codes.js';

const CODES = new Set<string>(Object.values(ErrorCodes));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What the hostile-server properties watch on their client (one topic), as a list of problems. */
export interface HostileWatch {
  problems: string[];
  /**
   * After a pause, close the client while `race()` sends frames at it: nothing may come out after close()
   * resolved, and it must resolve within 2 s. Also: no watermark at or above `bad`.
   */
  close(race: () => void): Promise<void>;
  /**
   * The run's verdict: requests stay proportionate (dials spaced by the 30 ms backoff at least; each
   * socket subscribes a few times at most on its own), no problem seen, nothing escaped.
   */
  verify(accepted: number, subscribes: number, steps: number): void;
}

const escaped: unknown[] = [];
const onEscape = (e: unknown): void => void escaped.push(e);

/** fast-check options of a hostile-server run: `runs` (HOSTILE_RUNS overrides), FC_SEED/FC_PATH replay a failure. */
export function hostileRuns(runs: number): { numRuns: number; seed: number | undefined; path: string | undefined; endOnFailure: true } {
  const seed = process.env['FC_SEED'];
  return { numRuns: Number(process.env['HOSTILE_RUNS'] ?? runs), seed: seed === undefined ? undefined : Number(seed), path: process.env['FC_PATH'], endOnFailure: true };
}

/** What escaped to the host process since the last call (emptied). */
export function takeEscaped(): unknown[] {
  return escaped.splice(0);
}

/** For the calling file: an uncaught exception or unhandled rejection fails the run that raised it ({@link HostileWatch.verify}). */
export function watchEscapes(): void {
  const events = ['unhandledRejection', 'uncaughtException'] as const;
  beforeAll(() => events.forEach((e) => process.on(e, onEscape)));
  afterAll(() => events.forEach((e) => process.off(e, onEscape)));
}

/**
 * Watch `client` on `topic`: an update at or above `bad` (a refused one) applied, a seq twice, a
 * watermark going back, an error without a known code, anything emitted after close().
 */
export function watchHostile(client: SyncClient, topic: string, bad: number): HostileWatch {
  const problems: string[] = [];
  const seen = new Set<number>();
  const started = Date.now();
  let last = 0;
  let closed = false;
  client.on('updates', (b) => {
    if (closed) problems.push('updates after close()');
    for (const u of b.updates) {
      if (u.watermark >= bad) problems.push(`refused update ${u.watermark} applied`);
      if (seen.has(u.watermark)) problems.push(`seq ${u.watermark} twice`);
      if (u.watermark <= last) problems.push(`watermark back ${last} -> ${u.watermark}`);
      seen.add(u.watermark);
      last = u.watermark;
    }
  });
  client.on('error', (e) => {
    if (!CODES.has(e.code)) problems.push(`unknown code ${e.code}`);
  });
  return {
    problems,
    async close(race) {
      await sleep(100); // the last frames of the run are handled first
      const closing = client.close();
      race();
      const t0 = Date.now();
      await closing;
      closed = true;
      if (Date.now() - t0 > 2000) problems.push('close() took over 2 s');
      await sleep(30);
      const wm = client.getWatermark(topic);
      if (wm !== undefined && wm >= bad) problems.push(`watermark ${wm} from a refused update`);
    },
    verify(accepted, subscribes, steps) {
      const elapsed = Date.now() - started;
      if (accepted > Math.ceil(elapsed / 25) + 3) problems.push(`${accepted} dials in ${elapsed} ms`);
      if (subscribes > 3 * accepted + steps) problems.push(`${subscribes} subscribes on ${accepted} sockets for ${steps} steps`);
      expect(problems).toEqual([]);
      expect(takeEscaped()).toEqual([]);
    },
  };
}

/** Steps both hostile servers send alike: junk text, a frame that breaks the WebSocket protocol, a pause. */
export type CommonStep = { t: 'junk'; text: string } | { t: 'broken' } | { t: 'wait'; ms: number };

/** Send (or wait out) one {@link CommonStep} on `ws`. */
export async function commonStep(ws: WebSocket, s: CommonStep): Promise<void> {
  if (s.t === 'junk') ws.send(s.text);
  else if (s.t === 'broken') ws.send(Buffer.from([0x5b, 0xff, 0x5d]), { binary: false });
  else await sleep(s.ms);
}
