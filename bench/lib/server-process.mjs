// Parent side of bench/server.mjs: fork it and call its commands as promises.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../server.mjs', import.meta.url));

/** A reference server running in a child process. */
export class ServerProcess {
  static async spawn() {
    const child = fork(SCRIPT, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--max-old-space-size=8192'] });
    const sp = new ServerProcess(child);
    await new Promise((resolve, reject) => {
      const onMsg = (m) => {
        if (m && m.ready) {
          child.off('message', onMsg);
          resolve();
        }
      };
      child.on('message', onMsg);
      child.once('exit', (code) => reject(new Error(`bench server exited early (${code})`)));
    });
    return sp;
  }

  constructor(child) {
    this.child = child;
    this.nextId = 1;
    this.waiting = new Map();
    child.on('message', (m) => {
      const w = m && this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.ok) w.resolve(m.result);
      else w.reject(new Error(`bench server: ${m.error}`));
    });
    child.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`bench server exited (${code})`));
      this.waiting.clear();
    });
  }

  call(cmd, args) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ id, cmd, args });
    });
  }

  /** Start (or replace) the reference server with `opts`; resolves to its URLs. */
  start(opts) {
    return this.call('start', opts);
  }

  async stop() {
    if (this.stopped) return;
    this.stopped = true;
    try {
      await this.call('close');
      await this.call('exit');
    } catch {
      /* already gone */
    }
    if (this.child.connected) this.child.disconnect();
  }
}
