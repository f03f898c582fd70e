import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ErrorCodes, StoreError } from '../errors/index.js';

/** Hex SHA-256 of a file's bytes, or `null` when it does not exist. Streams in 1 MiB reads. */
export function sha256File(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioFailed('read', path, err);
  }
  try {
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
    return hash.digest('hex');
  } finally {
    closeSync(fd);
  }
}

/** A failed file operation as the typed error every migration command reports. */
export function ioFailed(operation: string, path: string, cause: unknown): StoreError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  return new StoreError(ErrorCodes.MIGRATION_IO_FAILED, `${operation} ${path} failed${code ? ` (${code})` : ''}; the stores are as they were`, {
    details: { operation, path, errno: code ?? null },
    cause,
  });
}

/** Flush a directory entry (a rename) to disk; some platforms cannot open directories, which is fine there. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* not supported here (e.g. Windows): the rename is still atomic, only its durability is the OS's */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A sibling temp name: same directory, so the final rename never crosses a filesystem. */
export function tempSibling(path: string, tag = 'tmp'): string {
  return join(dirname(path), `.${basename(path)}.${tag}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * Write `data` to `path` atomically: a sibling temp file, fsync, rename over `path`, fsync the
 * directory. A crash at any point leaves either the old file or the whole new one. The temp file
 * is removed when anything fails.
 *
 * @throws StoreError `MIGRATION_IO_FAILED` (disk full, permissions…), with `path` unchanged.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = tempSibling(path);
  try {
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw ioFailed('write', path, err);
  }
  fsyncDir(dirname(path));
}

/** Copy `from` to `to` atomically (see {@link writeFileAtomic}) and return the copy's SHA-256. */
export function copyFileAtomic(from: string, to: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(from);
  } catch (err) {
    throw ioFailed('read', from, err);
  }
  writeFileAtomic(to, bytes);
  return createHash('sha256').update(bytes).digest('hex');
}

/** Move `path` aside to `aside` (same directory) if it exists, with its SQLite side files. Returns whether it existed. */
export function moveAside(path: string, aside: string): boolean {
  let moved = false;
  for (const suffix of ['', '-wal', '-shm']) {
    if (!existsSync(path + suffix)) continue;
    try {
      renameSync(path + suffix, aside + suffix);
    } catch (err) {
      throw ioFailed('rename', path + suffix, err);
    }
    if (suffix === '') moved = true;
  }
  fsyncDir(dirname(path));
  return moved;
}
