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

/**
 * `npm start` prints a dashboard link whose fragment carries the run's token (`#token=...`): the
 * fragment never reaches a server or a Referer. The token moves to this tab's sessionStorage and
 * leaves the address bar and the history, so it is not bookmarked or shared with the URL.
 */
export function takeTokenFromFragment(): void {
  const match = /^#token=([^&]+)/.exec(window.location.hash);
  if (!match?.[1]) return;
  token.set(decodeURIComponent(match[1]));
  window.history.replaceState(null, "", `${window.location.pathname}${window.location.search}#/`);
}

/** Fired on window when the api refuses the token: every view goes back to the sign-in form. */
export const UNAUTHENTICATED = "ay-unauthenticated";
