/** The signed-in customer: their ID token, for this browser tab (sessionStorage). */
import type { Tokens } from "./cognito";

const KEY = "shop.session";
const EXPIRY_MARGIN_MS = 30_000; // refused a little early rather than by the API mid-checkout

export interface Session extends Tokens {
  email: string;
}

export function currentSession(): Session | null {
  let session: Session | null = null;
  try {
    session = JSON.parse(sessionStorage.getItem(KEY) ?? "null") as Session | null;
  } catch {
    // unreadable: treated as signed out
  }
  if (!session) return null;
  if (!(session.expiresAt - EXPIRY_MARGIN_MS > Date.now())) {
    signOut();
    return null;
  }
  return session;
}

export function startSession(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}
