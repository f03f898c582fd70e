import { setOwn } from '../util/records.js';
import { redact } from './redact.js';

/** Secrets remembered from the token source, newest first. Default 16 (tokens rotate per connection). */
export const REMEMBERED_TOKENS = 16;
/** Shorter values are not treated as secrets: scrubbing every `ab` would garble messages. */
const MIN_SECRET_LENGTH = 4;
/** Deepest level of `details` that is copied; below it a value becomes `[truncated]`. */
const MAX_SCRUB_DEPTH = 32;
/** The client events whose arguments can carry server-provided strings. */
const SCRUBBED_EVENTS: readonly (string | symbol)[] = ['error', 'status', 'stale', 'telemetry'];
/** A cut-off secret is recognised from this many leading characters. */
const MIN_PREFIX = 8;

/**
 * Removes the exact credentials a client sent from anything it surfaces. The generic `redact`
 * only recognises JWTs, `Bearer …` and `?token=`; a server can echo an opaque token in a code, a
 * message or any payload field, so every value the token source yields is remembered (with its
 * URL-encoded and JSON-escaped spellings) and replaced wherever a string reaches the app.
 */
export class SecretScrubber {
  /** A handful at most (the token, the mint request's headers): a list is smaller than a set. */
  readonly #fixed: string[] = [];
  private readonly recent: string[] = [];
  #spellings: Spellings | undefined;

  /**
   * Remember a credential: a minted token (`fixed` false, the default), of which the oldest of more
   * than {@link REMEMBERED_TOKENS} is forgotten, or one kept for the client's lifetime (`fixed`: a
   * fixed token, a header of the mint request).
   */
  add(secret: string, fixed = false): void {
    const recent = this.recent;
    if (secret.length < MIN_SECRET_LENGTH || this.#fixed.includes(secret) || (!fixed && recent.includes(secret))) return;
    if (fixed) this.#fixed.push(secret);
    else if (recent.unshift(secret) > REMEMBERED_TOKENS) recent.pop();
    this.#rebuild();
  }

  /**
   * `text` without any remembered secret or generic credential. Matching ignores case (the Khala
   * adapter lowercases server codes) and covers the spellings a secret takes on its way through
   * the client: URL-encoded, JSON-escaped, snake-cased (telemetry reason codes), and cut short by a
   * length cap (`quote` ends a truncated string with `…`).
   */
  text(text: string): string {
    const lower = text.toLowerCase();
    // Case-insensitive replacement by position needs both strings to line up; the rare text whose
    // lowercase form has another length is scrubbed in its lowercase form.
    const source = lower.length === text.length ? text : lower;
    const cuts: Array<[number, number]> = [];
    for (const form of this.#spellings?.forms ?? []) {
      // Each place the form's head starts, matched on as far as it goes: the whole form, or a
      // prefix of it (at least the head) that runs to a truncation mark or the end of the text.
      const head = form.slice(0, MIN_PREFIX);
      for (let at = lower.indexOf(head); at >= 0; at = lower.indexOf(head, at + 1)) {
        let n = head.length;
        while (n < form.length && lower.charCodeAt(at + n) === form.charCodeAt(n)) n++;
        if (n === form.length || at + n === lower.length || lower[at + n] === '…') cuts.push([at, at + n]);
      }
    }
    let out = '';
    let from = 0;
    // By start, the longest first: a secret that contains another is replaced whole.
    for (const [start, end] of cuts.sort((a, b) => a[0] - b[0] || b[1] - a[1])) {
      if (end <= from) continue;
      out += source.slice(from, Math.max(from, start)) + '[redacted]';
      from = end;
    }
    return redact(cuts.length ? out + source.slice(from) : text);
  }

  /** A copy of a JSON-like value with every string (keys included) scrubbed; depth-capped. */
  value(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return this.text(value);
    if (typeof value !== 'object' || value === null) return value;
    if (depth >= MAX_SCRUB_DEPTH) return '[truncated]';
    if (Array.isArray(value)) return value.map((v) => this.value(v, depth + 1));
    if (value instanceof Error) {
      const copy = new Error(this.text(value.message));
      copy.name = value.name;
      copy.stack = this.text(value.stack ?? '');
      return copy;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) setOwn(out, this.text(k), this.value(v, depth + 1));
    return out;
  }

  /**
   * Scrub an error in place: `message`, `stack`, `code` (a server's code is copied into it),
   * `details` and `cause`. Returns the same error so it can be emitted or thrown.
   */
  error<E extends Error>(err: E): E {
    for (const key of ['message', 'stack', 'code', 'details', 'cause'] as const) {
      const value = (err as Partial<Record<typeof key, unknown>>)[key];
      // Readonly fields (`code`, `details`) are redefined; each keeps its enumerability.
      const enumerable = Object.getOwnPropertyDescriptor(err, key)?.enumerable ?? false;
      if (value !== undefined) Object.defineProperty(err, key, { value: this.value(value), enumerable, writable: true, configurable: true });
    }
    return err;
  }

  /**
   * The arguments of a client event with every server-provided string scrubbed (errors in place):
   * those of `error`, `status`, `stale` and `telemetry`; other events' arguments as they are.
   */
  eventArgs(event: string | symbol, args: unknown[]): unknown[] {
    return SCRUBBED_EVENTS.includes(event) ? args.map((a) => (a instanceof Error ? this.error(a) : this.value(a))) : args;
  }

  #rebuild(): void {
    const secrets = [...this.#fixed, ...this.recent];
    const key = JSON.stringify(secrets);
    let spellings = lastSpellings?.deref();
    if (spellings?.key !== key) {
      const forms = new Set<string>();
      for (const s of secrets) {
        const encoded = encodeURIComponent(s);
        for (const f of [s, encoded, encoded.replace(/%20/g, '+'), JSON.stringify(s).slice(1, -1), snake(s)]) forms.add(f.toLowerCase());
      }
      spellings = { key, forms: [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH) };
      lastSpellings = new WeakRef(spellings);
    }
    this.#spellings = spellings;
  }
}

/** The lowercase spellings of a list of secrets (never mutated: scrubbers share it). */
interface Spellings {
  /** The secrets they spell, as one JSON list. */
  readonly key: string;
  readonly forms: readonly string[];
}

// Clients holding the same secrets (a fleet sharing one token) share one copy of their spellings,
// each a string as long as the token, instead of a copy each (docs/benchmarks.md, figure 4). Weak:
// once no scrubber holds them, nothing here keeps the secrets in memory.
let lastSpellings: WeakRef<Spellings> | undefined;

// How telemetry turns a reason into a code: lowercase, every run of other characters one `_`.
function snake(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
}
