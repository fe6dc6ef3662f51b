// Account pages run in the browser only (they read query parameters and talk
// to the API); the static host serves them through the SPA fallback page.
export const ssr = false;
export const prerender = false;
