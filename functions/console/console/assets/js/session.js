// The API token of the signed-in user. Kept in sessionStorage only: never a cookie (so
// no request carries it but the API calls that add it), never in a URL; it goes away
// with the tab, or at "Sign out".
const KEY = "hookyard.console.token";

export function getToken() {
  return sessionStorage.getItem(KEY);
}

export function setToken(token) {
  sessionStorage.setItem(KEY, token);
}

export function clearToken() {
  sessionStorage.removeItem(KEY);
}
