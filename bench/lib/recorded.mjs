// In-process runs over recorded frames: the server and the socket are taken out, so what is left
// is each contender's own decode + apply path on exactly the frames the server sent.
import { performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers';
import { Buffer } from 'node:buffer';
import WebSocket from 'ws';
import { JOIN_FRAME, bareHandler, subscribeFrame } from './clients.mjs';

/**
 * The "null client": join, subscribe, and receive raw frames without looking inside them until the
 * subscribe reply (ref "2"), which the server sends after the last replay frame (§2.2). Its time is
 * the floor set by the server and the socket; `record` keeps the frame texts.
 */
export function runNull({ url, token, topic, record = false }) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const frames = [];
    let bytes = 0;
    let count = 0;
    const ws = new WebSocket(`${url}?token=${encodeURIComponent(token)}&vsn=2.0.0`);
    const REPLY2 = Buffer.from('["1","2","sync:v1","phx_reply"');
    const REPLY1 = Buffer.from('["1","1","sync:v1","phx_reply"');
    ws.on('open', () => ws.send(JOIN_FRAME));
    ws.on('message', (data) => {
      count++;
      bytes += data.length;
      if (record) frames.push(data.toString());
      if (data.subarray(0, REPLY1.length).equals(REPLY1)) ws.send(subscribeFrame(topic));
      else if (data.subarray(0, REPLY2.length).equals(REPLY2)) {
        const ms = performance.now() - t0;
        ws.close();
        resolve({ ms, frames, bytes, count });
      }
    });
    ws.on('error', reject);
  });
}

/**
 * A fake socket for the phoenix client (its `transport` option): it answers the join with the
 * recorded join reply and a subscribe with the recorded replay frames and reply, rewriting refs
 * when phoenix's differ from the recording's ("1" join, "2" subscribe).
 */
export function recordedSocketClass(frames) {
  return class RecordedSocket {
    constructor() {
      this.readyState = 0;
      setImmediate(() => {
        this.readyState = 1;
        this.onopen?.({});
      });
    }
    send(text) {
      const [joinRef, ref, , event] = JSON.parse(text);
      const fix = (f) => (joinRef === '1' && ref === '2' ? f : f.replace(/^\["1",/, `[${JSON.stringify(joinRef)},`).replace(/^(\[[^,]*,)"2",/, `$1${JSON.stringify(ref)},`));
      if (event === 'phx_join') {
        const reply = frames[0].replace(/^\["1","1",/, `[${JSON.stringify(ref)},${JSON.stringify(ref)},`);
        setImmediate(() => this.onmessage?.({ data: reply }));
      } else if (event === 'sync:subscribe') {
        setImmediate(() => {
          for (let i = 1; i < frames.length; i++) this.onmessage?.({ data: fix(frames[i]) });
        });
      }
    }
    close() {
      this.readyState = 3;
      this.onclose?.({ code: 1000, reason: '', wasClean: true });
    }
  };
}

/**
 * The same replay as a khala-sync TransportFactory (its `transport` option). Pausable like a ws
 * socket: the client's inbound byte budget pauses it while the backlog drains, and delivery goes on
 * from the next frame on `resume()` (a transport that cannot pause would overflow the budget).
 */
export function recordedTransport(frames) {
  return (_url, handlers) => {
    let open = true;
    let paused = false;
    let next = -1; // index of the next replay frame; -1 until the subscribe
    const pump = () => {
      while (open && !paused && next >= 1 && next < frames.length) {
        const f = frames[next++];
        handlers.onMessage(f, f.length);
      }
    };
    setImmediate(() => handlers.onOpen());
    return {
      send(text) {
        const [, , , event] = JSON.parse(text);
        if (event === 'phx_join') setImmediate(() => open && handlers.onMessage(frames[0], frames[0].length));
        else if (event === 'sync:subscribe') {
          next = 1;
          setImmediate(pump);
        }
      },
      pause() {
        paused = true;
      },
      resume() {
        if (!paused) return;
        paused = false;
        setImmediate(pump);
      },
      close(code = 1000, reason = '') {
        if (!open) return;
        open = false;
        handlers.onClose({ code, reason });
      },
    };
  };
}

/** Baseline A's work on recorded frames, in-process (no socket). */
export function runBareRecorded({ frames, topic, head }) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let done = false;
    const handle = bareHandler({
      onJoined() {},
      onMax: (t, m) => {
        if (!done && t === topic && m >= head) {
          done = true;
          resolve({ ms: performance.now() - t0 });
        }
      },
    });
    for (let i = 0; i < frames.length && !done; i++) handle(frames[i]);
  });
}
