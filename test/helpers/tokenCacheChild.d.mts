// Types of tokenCacheChild.mjs, a plain ESM module because child processes run it with node directly.
import type { AccountInfo, ICachePlugin, PublicClientApplication } from '@azure/msal-node';

export interface FixtureUser {
  oid: string;
  username: string;
  name: string;
}

/** MSAL's serialized cache JSON, as much of it as the tests read. */
export interface CacheJson {
  [section: string]: Record<string, Record<string, unknown>>;
  Account: Record<string, Record<string, unknown>>;
  IdToken: Record<string, Record<string, unknown>>;
  AccessToken: Record<string, { secret: string; home_account_id?: string; target?: string; expires_on?: string } & Record<string, unknown>>;
  RefreshToken: Record<string, { secret: string } & Record<string, unknown>>;
  AppMetadata: Record<string, Record<string, unknown>>;
}

export const CLIENT_ID: string;
export const TENANT_ID: string;
export const ADA: FixtureUser;
export const GRACE: FixtureUser;
export const CAROL: FixtureUser;
export function homeAccountId(user: FixtureUser): string;
export function secretsOf(user: FixtureUser, round?: number): { accessToken: string; refreshToken: string };
export function cacheJson(users: FixtureUser[], round?: number): CacheJson;
export function newPca(cachePlugin: ICachePlugin | undefined): PublicClientApplication;
export function writeThroughMsal(pca: PublicClientApplication, cachePlugin: ICachePlugin | undefined, mutate: (json: CacheJson) => CacheJson): Promise<void>;
export function readThroughMsal(cachePlugin: ICachePlugin | undefined): Promise<{ accounts: AccountInfo[]; json: CacheJson }>;
export function sharedCount(json: CacheJson): number;
