import { describe, expect, it } from 'vitest';
import { InboundQueue } from '../../src/client/inbound-queue.js';

const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('InboundQueue', () => {
  it('looks at the next frame only after the work the previous frame started has finished', async () => {
    const log: string[] = [];
    let live = true;
    const q: InboundQueue = new InboundQueue(
      (text) => {
        log.push(`handle ${text}`);
        q.chain(async () => {
          await tick();
          log.push(`commit ${text}`);
        });
      },
      () => live,
    );
    q.push('a', 1);
    q.push('b', 1);
    await tick(40);
    expect(log).toEqual(['handle a', 'commit a', 'handle b', 'commit b']);
    live = false;
  });

  it('runs after() once the batches of the same frame committed, in order', async () => {
    const log: string[] = [];
    const q: InboundQueue = new InboundQueue(
      () => {
        q.chain(async () => {
          await tick();
          log.push('batch 1');
        });
        q.chain(async () => {
          log.push('batch 2');
        });
        q.after(() => log.push('reply'));
      },
      () => true,
    );
    q.push('frame', 5);
    await tick(30);
    expect(log).toEqual(['batch 1', 'batch 2', 'reply']);
  });

  it('after() with nothing pending runs at once; a replaced socket stops the queue and drops the rest', async () => {
    const handled: string[] = [];
    let live = true;
    const q: InboundQueue = new InboundQueue(
      (text) => {
        handled.push(text);
        q.chain(() => tick());
      },
      () => live,
    );
    let ran = false;
    q.after(() => (ran = true));
    expect(ran).toBe(true);
    q.push('1', 1);
    q.push('2', 1);
    live = false;
    await tick(30);
    expect(handled).toEqual(['1']);
    q.after(() => handled.push('late'));
    expect(handled).toEqual(['1']);
  });

  it('lets go of handled frames while it never runs empty (a steady flood kept every frame it ever got)', async () => {
    const { q, release } = await flood(5000, String);
    expect(q.depth).toBe(1);
    // White-box: the array behind the queue holds what is waiting plus at most one compaction's worth.
    expect((q as unknown as { frames: unknown[] }).frames.length).toBeLessThan(600);
    release();
  });

  it('holds no handled frame text until compaction: only the waiting frames are reachable', async () => {
    const { q, release } = await flood(200, (i) => `frame ${i}`);
    // 200 frames handled, none compacted away yet (fewer than COMPACT_AFTER): a held slot would
    // keep a handled frame's text (tens of KB on the wire) alive through every young-generation GC.
    const held = (q as unknown as { frames: unknown[] }).frames.filter((f) => f !== undefined);
    expect(held).toEqual([['frame 199', 1]]);
    expect(q.depth).toBe(1);
    release();
  });
});

/**
 * A queue whose every frame starts work that waits to be released, fed `count` frames so that one
 * frame is in the works and one waits at all times (it never runs empty). Returns the queue and the
 * release of the work in flight.
 */
async function flood(count: number, name: (i: number) => string): Promise<{ q: InboundQueue; release: () => void }> {
  let release: (() => void) | undefined;
  const q: InboundQueue = new InboundQueue(
    () => q.chain(() => new Promise<void>((r) => (release = r))),
    () => true,
  );
  q.push('first', 1);
  q.push('second', 1);
  for (let i = 0; i < count; i++) {
    q.push(name(i), 1);
    release!();
    await new Promise((r) => setImmediate(r));
  }
  return { q, release: () => release!() };
}
