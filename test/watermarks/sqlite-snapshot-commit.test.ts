import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/sqlite.js';
import { doc, sorted } from './store-contract-fixtures.js';

function stagedRows(path: string): Array<{ topic: string; doc_key: string }> {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT topic, doc_key FROM staged_documents ORDER BY topic, doc_key').all() as Array<{ topic: string; doc_key: string }>;
  } finally {
    db.close();
  }
}

describe('sqlite commitSnapshot', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'khala-sqlite-snap-'));
    path = join(dir, 'store.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('hands back the documents this connection staged since the discard, without reading the topic back', async () => {
    const store = createSqliteStore({ path });
    await store.discardSnapshot('t');
    const first = [doc('t', 'a', 2, { n: 1 }), doc('t', 'b', 1, 'b')];
    const second = [doc('t', 'a', 1, 'older, loses'), doc('t', 'b', 1, 'same version, later: wins')];
    await store.stageSnapshot('t', first);
    await store.stageSnapshot('t', second);
    const committed = sorted(await store.commitSnapshot('t', 2));
    expect(committed).toStrictEqual([first[0], second[1]]);
    // The very objects staged: a read-back would have made new ones.
    expect(committed[0]).toBe(first[0]);
    expect(committed[1]).toBe(second[1]);
    expect(sorted((await store.load()).documents)).toStrictEqual(committed);
    expect(stagedRows(path)).toStrictEqual([]);
    // The record went with the commit: nothing staged since, so the next commit empties the topic.
    expect(await store.commitSnapshot('t', 3)).toStrictEqual([]);
    await store.close();
  });

  it('reads back staged rows it did not see being written (another connection, or no discard since open)', async () => {
    const writer = createSqliteStore({ path });
    await writer.discardSnapshot('t');
    await writer.stageSnapshot('t', [doc('t', 'left', 1, { by: 'a crashed run' })]);
    await writer.close();
    const store = createSqliteStore({ path });
    const extra = doc('t', 'extra', 1, 'staged here, but without a discard first');
    await store.stageSnapshot('t', [extra]);
    const committed = sorted(await store.commitSnapshot('t', 1));
    expect(committed).toStrictEqual([extra, doc('t', 'left', 1, { by: 'a crashed run' })]);
    expect(committed[0]).not.toBe(extra);
    await store.close();
  });

  it('keeps the pages other topics staged when one topic commits or discards', async () => {
    const store = createSqliteStore({ path });
    await store.discardSnapshot('a');
    await store.discardSnapshot('b');
    await store.stageSnapshot('a', [doc('a', 'x', 1, 'x')]);
    await store.stageSnapshot('b', [doc('b', 'y', 1, 'y')]);
    await store.stageSnapshot('c', [doc('c', 'z', 1, 'z')]);
    await store.commitSnapshot('b', 1);
    expect(stagedRows(path)).toStrictEqual([
      { topic: 'a', doc_key: 'x' },
      { topic: 'c', doc_key: 'z' },
    ]);
    await store.discardSnapshot('a');
    expect(stagedRows(path)).toStrictEqual([{ topic: 'c', doc_key: 'z' }]);
    // Alone in the table now: the discard empties it whole.
    await store.discardSnapshot('c');
    expect(stagedRows(path)).toStrictEqual([]);
    expect((await store.load()).documents).toStrictEqual([doc('b', 'y', 1, 'y')]);
    await store.close();
  });
});
