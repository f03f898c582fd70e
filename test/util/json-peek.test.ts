import { describe, expect, it } from 'vitest';
import { peekReply } from '../../src/adapters/spacetime/server-message.js';
import { eachElement, memberAt, stringAt, uintAt } from '../../src/util/json-peek.js';

// The look at a frame too large to parse must read what JSON.parse would: the last copy of a key.
describe('json-peek', () => {
  it('reads the last copy of a key, escaped spellings included, as JSON.parse does', () => {
    const text = '{"topic":"a", "x":{"topic":"no"},"s":"\\"topic\\":\\"no\\"" , "\\u0074opic" : "b\\u0021","n":[1,{"t":2}],"seq":12}';
    expect(JSON.parse(text).topic).toBe('b!');
    expect(stringAt(text, memberAt(text, 0, 'topic'))).toBe('b!');
    expect(uintAt(text, memberAt(text, 0, 'seq'))).toBe(12);
    expect(memberAt(text, 0, 'missing')).toBe(-1);
  });

  it('refuses what is not whole JSON', () => {
    for (const bad of ['{"topic":"a"', '{"topic":"a",}', '{"topic" "a"}', '{"topic":"a\\"}', '[1,2', 'x']) expect(memberAt(bad, 0, 'topic')).toBe(-1);
    expect(uintAt('1.5', 0)).toBeUndefined();
    expect(uintAt('-1', 0)).toBeUndefined();
    const at: number[] = [];
    expect(eachElement('[1, "a]" ,{"b":[2]}]', 0, (v) => void at.push(v))).toBe(true);
    expect(at).toEqual([1, 4, 10]);
  });

  it('Spacetime: an oversized reply names the request_id JSON.parse keeps, and none when the tag is doubled', () => {
    expect(peekReply('{"SubscribeMultiApplied":{"request_id":5,"x":1,"request_id":7}}')).toEqual({ unsubscribe: false, requestId: 7 });
    expect(peekReply('{"UnsubscribeMultiApplied":{"request_id":3}}')).toEqual({ unsubscribe: true, requestId: 3 });
    expect(peekReply('{"SubscribeMultiApplied":{"request_id":5},"TransactionUpdate":{}}')).toBeUndefined();
    expect(peekReply('{"SubscribeMultiApplied":{"request_id":5},"SubscribeMultiApplied":{"request_id":6}}')).toEqual({ unsubscribe: false, requestId: 6 });
    expect(peekReply('{"TransactionUpdate":{"request_id":5}}')).toBeUndefined();
  });
});
