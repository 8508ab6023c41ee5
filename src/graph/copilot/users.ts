import type { GraphClient } from '../client.js';
import { delegated, ROUTES } from './routes.js';
import { UserSchema, type User } from './schemas.js';

export const PROFILE_SCOPE = 'User.Read';

/** The signed-in user's profile. */
export async function me(graph: GraphClient, signal?: AbortSignal): Promise<User> {
  const { data } = await graph.request({
    method: 'GET',
    route: ROUTES.me,
    path: '/me',
    query: { $select: 'id,displayName,userPrincipalName,mail' },
    scopes: [PROFILE_SCOPE],
    permissions: delegated([PROFILE_SCOPE]),
    schema: UserSchema,
    ...(signal ? { signal } : {}),
  });
  return data;
}

/** A user by UPN, with the app-only permission User.Read.All (interaction export takes object ids). */
export async function userByPrincipalName(appGraph: GraphClient, upn: string, signal?: AbortSignal): Promise<User> {
  const { data } = await appGraph.request({
    method: 'GET',
    route: ROUTES.user,
    path: `/users/${encodeURIComponent(upn)}`,
    query: { $select: 'id,userPrincipalName' },
    scopes: [],
    permissions: ['User.Read.All (application)'],
    schema: UserSchema,
    ...(signal ? { signal } : {}),
  });
  return data;
}
