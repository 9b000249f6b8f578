// Token expiry: reads `exp` (and `iat`) from a JWT's payload without verifying it (the gateway does),
// and says when to send a Refresh: at 80% of the token's lifetime or refreshBeforeMs before exp,
// whichever comes first, but never before half of the lifetime (a token shorter than refreshBeforeMs
// would otherwise be refreshed at once, again and again).

/** The token's `exp` and `iat` in ms since the epoch, or undefined when the token is not a readable JWT. */
export function jwtTimes(token: string): { expMs?: number; iatMs?: number } {
  const parts = token.split(".");
  if (parts.length < 2) return {};
  try {
    const json = JSON.parse(base64UrlDecode(parts[1]!));
    const exp = typeof json.exp === "number" ? json.exp * 1000 : undefined;
    const iat = typeof json.iat === "number" ? json.iat * 1000 : undefined;
    return { expMs: exp, iatMs: iat };
  } catch {
    return {};
  }
}

/**
 * Delay in ms from `nowMs` until a Refresh should be sent for a token obtained at `obtainedMs`, or
 * undefined when the token has no readable `exp` (then it is never refreshed on a timer).
 */
export function refreshDelay(
  token: string,
  nowMs: number,
  obtainedMs: number = nowMs,
  refreshBeforeMs = 30_000,
): number | undefined {
  const { expMs, iatMs } = jwtTimes(token);
  if (expMs === undefined) return undefined;
  const start = iatMs !== undefined && iatMs <= obtainedMs ? iatMs : obtainedMs;
  const atFraction = start + 0.8 * (expMs - start);
  const beforeExp = Math.max(expMs - refreshBeforeMs, start + 0.5 * (expMs - start));
  return Math.max(0, Math.min(atFraction, beforeExp) - nowMs);
}

function base64UrlDecode(s: string): string {
  let b64 = s.replace(/-/g, "+").replace(/_/g, "/");
  while (b64.length % 4) b64 += "=";
  const binary = atob(b64);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}
