import { describe, expect, it } from 'vitest';
import { buildKhalaUrl } from '../../../src/adapters/khala/socket-url.js';
import { assertSecureUrl } from '../../../src/transport/secure-url.js';
import { isLoopbackHost } from '../../../src/util/loopback.js';
import { createKhalaLane, khalaLane } from '../../../src/adapters/khala/khala-lane.js';
import { KhalaSyncError } from '../../../src/errors/khala-sync-error.js';
import { CLIENT_INFO } from './helpers.js';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEifQ.c2lnbmF0dXJlX3NlY3JldA';

function thrown(fn: () => unknown): KhalaSyncError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(KhalaSyncError);
    return err as KhalaSyncError;
  }
  throw new Error('expected a throw');
}

describe('buildKhalaUrl', () => {
  it('appends the default path to a base https URL and switches to wss', () => {
    const u = new URL(buildKhalaUrl('https://sync.example.com', TOKEN, CLIENT_INFO));
    expect(u.protocol).toBe('wss:');
    expect(u.host).toBe('sync.example.com');
    expect(u.pathname).toBe('/sync/socket/websocket');
    expect(Object.fromEntries(u.searchParams)).toEqual({
      token: TOKEN,
      vsn: '2.0.0',
      client: 'oa-ts',
      client_build_id: '20260301T000000Z',
      protocol_version: 'khala.ws.v1',
      schema_version: '1',
    });
  });

  it('treats a trailing slash as a base URL and maps http to ws, keeping the port', () => {
    const u = new URL(buildKhalaUrl('http://localhost:4000/', TOKEN, CLIENT_INFO));
    expect(u.protocol).toBe('ws:');
    expect(u.port).toBe('4000');
    expect(u.pathname).toBe('/sync/socket/websocket');
  });

  it('keeps a full URL path and its existing params, ours overriding', () => {
    const u = new URL(buildKhalaUrl('wss://h.example/custom/socket/websocket?region=eu&vsn=1.0.0&token=old', TOKEN, CLIENT_INFO));
    expect(u.pathname).toBe('/custom/socket/websocket');
    expect(u.searchParams.get('region')).toBe('eu');
    expect(u.searchParams.getAll('vsn')).toEqual(['2.0.0']);
    expect(u.searchParams.getAll('token')).toEqual([TOKEN]);
  });

  it('uses a configured socket path for base URLs (via createKhalaLane)', () => {
    const lane = createKhalaLane({ socketPath: '/socket/websocket' });
    expect(new URL(lane.buildUrl('https://h.example', TOKEN, CLIENT_INFO)).pathname).toBe('/socket/websocket');
    expect(new URL(khalaLane.buildUrl('https://h.example', TOKEN, CLIENT_INFO)).pathname).toBe('/sync/socket/websocket');
    expect(khalaLane.name).toBe('khala');
    expect(khalaLane.protocols).toBeUndefined();
  });

  it('refuses unparseable URLs and unknown schemes without echoing the token', () => {
    for (const url of ['not a url', 'ftp://h.example/', `mailto:x?token=${TOKEN}`]) {
      const err = thrown(() => buildKhalaUrl(url, TOKEN, CLIENT_INFO));
      expect(err.code).toBe('invalid_option');
      expect(err.message).not.toContain(TOKEN);
      expect(JSON.stringify(err.toJSON())).not.toContain(TOKEN);
    }
  });

  it('refuses a bad replayBatchSize', () => {
    expect(thrown(() => createKhalaLane({ replayBatchSize: 0 })).code).toBe('invalid_option');
    expect(thrown(() => createKhalaLane({ replayBatchSize: 1.5 })).code).toBe('invalid_option');
  });
});

describe('assertSecureUrl', () => {
  it('refuses plain ws:// and http:// to a remote host, without leaking the token', () => {
    for (const base of ['ws://sync.example.com', 'http://sync.example.com', 'ws://10.0.0.1:4000', 'ws://[2001:db8::1]']) {
      const full = buildKhalaUrl(base, TOKEN, CLIENT_INFO);
      const err = thrown(() => assertSecureUrl(full, false));
      expect(err.code).toBe('insecure_transport');
      expect(err.source).toBe('client');
      expect(err.message).not.toContain(TOKEN);
      expect(JSON.stringify(err.toJSON())).not.toContain(TOKEN);
    }
  });

  it('allows loopback hosts over ws://', () => {
    for (const base of ['ws://localhost:4000', 'ws://127.0.0.1', 'ws://127.0.0.5:9', 'ws://[::1]:4000', 'http://LOCALHOST']) {
      expect(() => assertSecureUrl(buildKhalaUrl(base, TOKEN, CLIENT_INFO), false)).not.toThrow();
    }
  });

  it('does not take look-alike hosts for loopback', () => {
    for (const host of ['127.0.0.1.evil.com', 'localhost.evil.com', '128.0.0.1', '[::2]']) {
      expect(() => assertSecureUrl(`ws://${host}/x`, false)).toThrow(KhalaSyncError);
    }
  });

  it('allows wss:// anywhere and ws:// when allowInsecure is set', () => {
    expect(() => assertSecureUrl('wss://sync.example.com/x', false)).not.toThrow();
    expect(() => assertSecureUrl('ws://sync.example.com/x', true)).not.toThrow();
  });

  it('isLoopbackHost matches URL-normalized hostnames', () => {
    expect(isLoopbackHost(new URL('ws://127.1/').hostname)).toBe(true);
    expect(isLoopbackHost(new URL('ws://[0:0:0:0:0:0:0:1]/').hostname)).toBe(true);
    expect(isLoopbackHost('example.com')).toBe(false);
  });
});
