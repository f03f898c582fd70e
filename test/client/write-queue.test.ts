import { describe, expect, it } from 'vitest';
import { WriteQueue } from '../../src/client/write-queue.js';

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

describe('WriteQueue', () => {
  it('starts a write only after every write queued before it settled, failed ones included', async () => {
    const q = new WriteQueue();
    const log: string[] = [];
    let release!: () => void;
    const first = q.write(() => new Promise<void>((resolve) => (release = resolve)).then(() => void log.push('first done')));
    const second = q.write(async () => {
      log.push('second start');
      throw new Error('boom');
    });
    const third = q.write(async () => void log.push('third start'));
    await tick();
    expect(log).toEqual([]);
    release();
    await first;
    await expect(second).rejects.toThrow('boom');
    await third;
    expect(log).toEqual(['first done', 'second start', 'third start']);
  });

  it('turns an operation that throws into a rejected write and carries on', async () => {
    const q = new WriteQueue();
    const failing = q.write((): Promise<void> => {
      throw new Error('sync');
    });
    await expect(failing).rejects.toThrow('sync');
    await expect(q.write(async () => 7)).resolves.toBe(7);
  });

  it('flush() resolves once every queued write has settled', async () => {
    const q = new WriteQueue();
    let done = 0;
    for (let i = 0; i < 3; i++) {
      void q.write(async () => {
        await tick();
        done++;
      });
    }
    await q.flush();
    expect(done).toBe(3);
  });
});
