const KEY = "agentyard.token";

/**
 * The bearer token the person signed in with. sessionStorage, not localStorage: it is gone when the
 * tab closes, and other tabs do not share it.
 */
export const token = {
  get(): string | undefined {
    return sessionStorage.getItem(KEY) ?? undefined;
  },
  set(value: string): void {
    sessionStorage.setItem(KEY, value);
  },
  clear(): void {
    sessionStorage.removeItem(KEY);
  },
};

/** Fired on window when the api refuses the token: every view goes back to the sign-in form. */
export const UNAUTHENTICATED = "ay-unauthenticated";
