/**
 * API keys: `Authorization: Bearer <key>` or `X-API-Key: <key>`. Keys are compared as
 * SHA-256 digests with timingSafeEqual, so neither the content nor the length of a
 * configured key leaks through response timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export interface ApiKey {
  user: string;
  key: string;
}

interface StoredKey {
  user: string;
  digest: Buffer;
}

export interface Authenticator {
  /** True when at least one key is configured (otherwise every request is anonymous). */
  readonly enabled: boolean;
  /** The user a presented key belongs to, or undefined. */
  userFor(presented: string): string | undefined;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export function createAuthenticator(keys: readonly ApiKey[]): Authenticator {
  const stored: StoredKey[] = keys
    .filter((k) => k.key !== '')
    .map((k) => ({ user: k.user, digest: digest(k.key) }));
  return {
    enabled: stored.length > 0,
    userFor(presented: string): string | undefined {
      const candidate = digest(presented);
      let found: string | undefined;
      // Check every key (no early exit) so timing does not reveal which one matched.
      for (const key of stored) {
        if (timingSafeEqual(candidate, key.digest) && found === undefined) found = key.user;
      }
      return found;
    },
  };
}

/** The key a request presents, from either header; undefined when none. */
export function presentedKey(
  headers: Record<string, string | string[] | undefined>,
): string | undefined {
  const auth = headers.authorization;
  const authValue = Array.isArray(auth) ? auth[0] : auth;
  if (authValue !== undefined) {
    const match = /^Bearer\s+(\S.*)$/i.exec(authValue.trim());
    if (match?.[1] !== undefined) return match[1].trim();
  }
  const apiKey = headers['x-api-key'];
  const apiKeyValue = Array.isArray(apiKey) ? apiKey[0] : apiKey;
  return apiKeyValue !== undefined && apiKeyValue !== '' ? apiKeyValue.trim() : undefined;
}

/**
 * Paths that never need a key: liveness and readiness (container probes must not carry a
 * secret; both answer only a status), version, metrics and the UI's static files.
 */
const EXEMPT = new Set(['/api/v1/health', '/api/v1/ready', '/api/v1/version', '/healthz']);

export function isAuthExempt(path: string): boolean {
  if (EXEMPT.has(path)) return true;
  if (path === '/metrics') return true;
  // Everything outside the API is the UI (static files, SPA routes).
  return !path.startsWith('/api/');
}
