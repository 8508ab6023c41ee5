import { describe, expect, it } from 'vitest';
import { ConnectionListings, LISTING_REUSE_MS } from '../../src/tools/connectionListings.js';

const alice = { tenantId: 'T1', userId: 'A' };
const connections = [{ id: 'contosohr', name: 'Contoso HR' }];

describe('connection listings reused per user', () => {
  it('are reused for LISTING_REUSE_MS, then asked for again', () => {
    let now = 1_000_000;
    const listings = new ConnectionListings(() => now);
    expect(listings.recent(alice)).toBeUndefined();
    listings.remember(alice, connections);
    now += LISTING_REUSE_MS - 1;
    expect(listings.recent(alice)).toEqual({ connections, listedAt: 1_000_000 });
    now += 1;
    expect(listings.recent(alice)).toBeUndefined();
    expect(listings.size).toBe(0);
  });

  it('never answer one user with another one\'s, in the same or another tenant', () => {
    const listings = new ConnectionListings(() => 0);
    listings.remember(alice, connections);
    expect(listings.recent({ tenantId: 'T1', userId: 'B' })).toBeUndefined();
    expect(listings.recent({ tenantId: 'T2', userId: 'A' })).toBeUndefined();
    // Entra ids are GUIDs: the same user in another spelling is the same user.
    expect(listings.recent({ tenantId: 't1', userId: 'a' })?.connections).toEqual(connections);
  });

  it('stay bounded: the oldest user goes first', () => {
    const listings = new ConnectionListings(() => 0);
    for (let i = 0; i < 10_001; i++) listings.remember({ tenantId: 'T', userId: `u${i}` }, []);
    expect(listings.size).toBe(10_000);
    expect(listings.recent({ tenantId: 'T', userId: 'u0' })).toBeUndefined();
    expect(listings.recent({ tenantId: 'T', userId: 'u10000' })).toBeDefined();
  });
});
