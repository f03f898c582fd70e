import fc from 'fast-check';

/** One mutation of a frame's text. `at` and `pick` choose the place and the variant. */
export interface Mutation {
  kind: MutationKind;
  at: number;
  pick: number;
}

const KINDS = ['truncate', 'bitflip', 'typeswap', 'number', 'nest', 'protokey', 'escapedkey', 'topic', 'repeat', 'word', 'rekey', 'nested'] as const;
type MutationKind = (typeof KINDS)[number];

/** Numbers a parser or a watermark check may get wrong. `1e999` is written as text (JSON has no Infinity). */
const NUMBERS = ['-1', '-0', '0', '0.5', '-1e308', '1e308', '1e999', '9007199254740992', '9007199254740993', '18446744073709551616', '1e21', '-9007199254740991', '4294967296'];
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'];
/** Keys that decode to a prototype key only after JSON unescaping. */
const ESCAPED_KEYS = ['"\\u005f_proto__"', '"__pro\\u0074o__"', '"\\u0063onstructor"', '"prototyp\\u0065"', '"\\u005F\\u005Fproto\\u005F\\u005F"'];
const TOPICS = ['runtime.other_topic', '', '__proto__', 'runtime.run_summaries\u0000', 'RUNTIME.RUN_SUMMARIES', 'x'.repeat(5000), 'runtime.codex.worker.worker_2'];
const DEPTHS = [30, 200, 1500, 12_000];
/** Protocol words of both lanes: a frame of one kind relabelled as another. */
const WORDS = ['phx_reply', 'phx_error', 'phx_close', 'phx_join', 'sync:update_batch', 'sync:frame', 'sync:error', 'sync:heartbeat', 'sync:v1', 'phoenix', 'ok', 'error', 'KHALA_FRAME_KIND_ERROR', 'KHALA_FRAME_KIND_UPDATE_BATCH', 'KHALA_FRAME_KIND_HEARTBEAT', 'stale_cursor', 'slow_consumer', 'reauth_required', 'disconnect', 'Committed', 'Failed', 'OutOfEnergy', 'some', 'none'];
const KEYS = ['TransactionUpdate', 'TransactionUpdateLight', 'SubscribeMultiApplied', 'UnsubscribeMultiApplied', 'SubscriptionError', 'OneOffQueryResponse', 'IdentityToken', 'InitialSubscription', 'updates', 'watermark', 'seq', 'topic', 'status', 'response', 'payload', 'payload_bytes', 'inserts', 'deletes', 'rows'];

/** A fast-check arbitrary for up to `max` mutations. */
export function mutationsArb(max = 3): fc.Arbitrary<Mutation[]> {
  return fc.array(fc.record({ kind: fc.constantFrom(...KINDS), at: fc.nat(), pick: fc.nat() }), { maxLength: max });
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every node of `root` with a way to replace it (the root itself is replaced through `box`). */
function nodes(box: { v: Json }): Array<{ get: () => Json; set: (v: Json) => void }> {
  const out: Array<{ get: () => Json; set: (v: Json) => void }> = [];
  const walk = (get: () => Json, set: (v: Json) => void): void => {
    out.push({ get, set });
    const v = get();
    if (Array.isArray(v)) v.forEach((_, i) => walk(() => v[i]!, (n) => (v[i] = n)));
    else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) walk(() => v[k]!, (n) => (v[k] = n));
  };
  walk(() => box.v, (n) => (box.v = n));
  return out;
}

function onTree(text: string, m: Mutation, change: (node: { get: () => Json; set: (v: Json) => void }, all: ReturnType<typeof nodes>) => void): string {
  try {
    const box = { v: JSON.parse(text) as Json };
    const all = nodes(box);
    change(all[m.at % all.length]!, all);
    return JSON.stringify(box.v);
  } catch {
    // Not JSON, or nested too deep to walk (an earlier `nest`): the text stays as it is.
    return text;
  }
}

const swaps: Json[] = [null, true, 0, -1, '', 'text', [], {}, [null], { a: 1 }];

/** Apply one mutation to a frame's text. Pure: the same inputs give the same frame. */
export function mutate(text: string, m: Mutation): string {
  switch (m.kind) {
    case 'truncate':
      return text.slice(0, m.at % Math.max(1, text.length));
    case 'bitflip': {
      const i = m.at % Math.max(1, text.length);
      return text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ (1 << m.pick % 7)) + text.slice(i + 1);
    }
    case 'typeswap':
      return onTree(text, m, (n) => n.set(swaps[m.pick % swaps.length]!));
    case 'number': {
      // Replace a number (or any node) with a marker, then the marker with the raw number text.
      const marker = '"\\u0001num\\u0001"';
      const out = onTree(text, m, (n, all) => {
        const nums = all.filter((x) => typeof x.get() === 'number');
        (nums.length > 0 ? nums[m.at % nums.length]! : n).set('\u0001num\u0001');
      });
      return out.replace(marker, NUMBERS[m.pick % NUMBERS.length]!);
    }
    case 'nest': {
      const depth = DEPTHS[m.pick % DEPTHS.length]!;
      const marker = '"\\u0001deep\\u0001"';
      const out = onTree(text, m, (n) => n.set('\u0001deep\u0001'));
      const deep = m.pick % 2 === 0 ? '['.repeat(depth) + '1' + ']'.repeat(depth) : '{"k":'.repeat(depth) + '1' + '}'.repeat(depth);
      return out.replace(marker, deep);
    }
    case 'protokey':
      return onTree(text, m, (_n, all) => {
        const objs = all.map((x) => x.get()).filter((v): v is { [k: string]: Json } => v !== null && typeof v === 'object' && !Array.isArray(v));
        if (objs.length === 0) return;
        // defineProperty: an own `__proto__` key that JSON.stringify writes out.
        Object.defineProperty(objs[m.at % objs.length]!, PROTO_KEYS[m.pick % PROTO_KEYS.length]!, { value: { polluted: true }, enumerable: true, writable: true, configurable: true });
      });
    case 'escapedkey': {
      const opens = [...text.matchAll(/\{/g)].map((x) => x.index);
      if (opens.length === 0) return text;
      const i = opens[m.at % opens.length]! + 1;
      const rest = text.slice(i).trimStart().startsWith('}') ? '' : ',';
      return `${text.slice(0, i)}${ESCAPED_KEYS[m.pick % ESCAPED_KEYS.length]}:{"polluted":true}${rest}${text.slice(i)}`;
    }
    case 'topic':
      return onTree(text, m, (n, all) => {
        const strs = all.filter((x) => typeof x.get() === 'string' && /^runtime\./.test(x.get() as string));
        (strs.length > 0 ? strs[m.at % strs.length]! : n).set(TOPICS[m.pick % TOPICS.length]!);
      });
    case 'repeat':
      // An array (of updates, rows, tables...) with one element copied many times.
      return onTree(text, m, (_n, all) => {
        const arrays = all.map((x) => x.get()).filter((v): v is Json[] => Array.isArray(v) && v.length > 0);
        if (arrays.length === 0) return;
        const arr = arrays[m.at % arrays.length]!;
        const one = arr[m.pick % arr.length]!;
        // Up to ~1 MB of copies: big enough to matter, small enough for 10,000 frames in seconds.
        const copies = Math.min([2, 50, 500][m.pick % 3]!, Math.floor(1_000_000 / (text.length + 1)));
        for (let i = 0; i < copies; i++) arr.push(one);
      });
    case 'word':
      return onTree(text, m, (n, all) => {
        const strs = all.filter((x) => typeof x.get() === 'string');
        (strs.length > 0 ? strs[m.at % strs.length]! : n).set(WORDS[m.pick % WORDS.length]!);
      });
    case 'rekey':
      return onTree(text, m, (_n, all) => {
        const objs = all.map((x) => x.get()).filter((v): v is { [k: string]: Json } => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0);
        if (objs.length === 0) return;
        const o = objs[m.at % objs.length]!;
        const from = Object.keys(o)[m.pick % Object.keys(o).length]!;
        const value = o[from]!;
        delete o[from];
        o[KEYS[(m.pick >>> 4) % KEYS.length]!] = value;
      });
    case 'nested':
      return mutateNested(text, m);
  }
}

/**
 * Mutate a frame's inner document: Khala's base64 `payload_bytes`, Spacetime's `payload_json` and
 * row strings. The inner text gets one of the other mutations, then is encoded back in place.
 */
function mutateNested(text: string, m: Mutation): string {
  const inner: Mutation = { kind: KINDS[m.pick % (KINDS.length - 1)]!, at: m.at >>> 3, pick: m.pick >>> 3 };
  return onTree(text, m, (_n, all) => {
    const strs = all.filter((x) => typeof x.get() === 'string' && (x.get() as string).length > 2);
    if (strs.length === 0) return;
    const node = strs[m.at % strs.length]!;
    const s = node.get() as string;
    const b64 = /^[A-Za-z0-9+/]+=*$/.test(s) && s.length % 4 === 0;
    if (b64) node.set(Buffer.from(mutate(Buffer.from(s, 'base64').toString('utf8'), inner), 'utf8').toString('base64'));
    else node.set(mutate(s, inner));
  });
}

/** Apply `ms` in order. */
export function mutateAll(text: string, ms: readonly Mutation[]): string {
  return ms.reduce(mutate, text);
}
