import { AppError } from '../errors.js';
import type { ToolContext } from './tool.js';

/** Reads that are per user (meeting insights) need the signed-in user's id; signs in first when needed, for these scopes. */
export async function signedInUserId(ctx: ToolContext, scopes: string[]): Promise<string> {
  const me = await ctx.whoAmI(scopes);
  if (!me.account) throw new AppError('AuthRequired', 'no signed-in user', { nextStep: 'Call the tool again to sign in.' });
  return me.account.userId;
}
