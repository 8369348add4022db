import crypto from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { TokenConfig } from '../config/nodeConfigSchema';
import { NodeError } from '../pipeline/errors';

export type Role = 'read' | 'admin';

/** Who made a request: the token's name (the audit actor) and its role. */
export interface Principal {
  name: string;
  role: Role;
}

/** The actor name used when no tokens are configured (open, loopback-only API). */
export const ANONYMOUS_ACTOR = 'anonymous';

function digest(s: string): Buffer {
  return crypto.createHash('sha256').update(s, 'utf8').digest();
}

/**
 * Resolves the credentials of a request against the configured tokens: `Authorization: Bearer
 * <token>`, or HTTP Basic with the token as password (so a browser can open the status page).
 * Compared in constant time over SHA-256 digests.
 */
export function resolvePrincipal(req: Request, tokens: readonly TokenConfig[]): Principal | null | 'invalid' {
  const h = req.get('authorization');
  if (!h) return null;
  let presented: string | undefined;
  const m = /^(Bearer|Basic)\s+(.+)$/i.exec(h.trim());
  if (!m) return 'invalid';
  if (m[1]!.toLowerCase() === 'bearer') presented = m[2]!.trim();
  else {
    const decoded = Buffer.from(m[2]!, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    presented = i >= 0 ? decoded.slice(i + 1) : decoded;
  }
  const d = digest(presented);
  let found: TokenConfig | undefined;
  for (const t of tokens) if (crypto.timingSafeEqual(d, digest(t.token))) found = t;
  return found ? { name: found.name, role: found.role } : 'invalid';
}

/**
 * Requires a role. With no tokens configured everything is open and the actor is
 * {@link ANONYMOUS_ACTOR}. Sets `res.locals.principal`. `challenge` picks the WWW-Authenticate
 * scheme of a 401 (Basic for the HTML status page).
 */
export function requireRole(
  tokens: readonly TokenConfig[],
  role: Role,
  challenge: 'Bearer' | 'Basic' = 'Bearer',
): RequestHandler {
  return (req, res, next) => {
    if (tokens.length === 0) {
      res.locals.principal = { name: ANONYMOUS_ACTOR, role: 'admin' } satisfies Principal;
      next();
      return;
    }
    res.locals.authChallenge = `${challenge} realm="pacs-ai-node"`;
    const p = resolvePrincipal(req, tokens);
    if (p === null) return next(new NodeError('UNAUTHORIZED', 'this resource needs a bearer token'));
    if (p === 'invalid') return next(new NodeError('UNAUTHORIZED', 'the token is not valid'));
    if (role === 'admin' && p.role !== 'admin')
      return next(new NodeError('FORBIDDEN', `token "${p.name}" has role ${p.role}; this needs admin`));
    res.locals.principal = p;
    next();
  };
}

/** The principal set by {@link requireRole}. */
export function principalOf(res: { locals: Record<string, unknown> }): Principal {
  return (res.locals.principal as Principal | undefined) ?? { name: ANONYMOUS_ACTOR, role: 'admin' };
}
