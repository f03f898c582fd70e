import type { TopicState } from '../replay/state.js';

// What the subscribed topics' phases add up to: the connection's replaying/live/failed status and
// the token refresh's "nothing is catching up" gate read these, over `ReplayDriver.topics()`.

/** True when at least one topic is given and every one of them has failed. */
export function allFailed(topics: Iterable<Readonly<TopicState>>): boolean {
  let any = false;
  for (const t of topics) {
    if (t.phase !== 'failed') return false;
    any = true;
  }
  return any;
}

/** True when every topic given is live or failed (nothing left to catch up); true for none. */
export function settled(topics: Iterable<Readonly<TopicState>>): boolean {
  for (const t of topics) if (t.phase !== 'live' && t.phase !== 'failed') return false;
  return true;
}
