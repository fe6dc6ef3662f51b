// Public pages (landing, about) are prerendered to HTML. The account pages and
// the app under /app switch this off and run as a client-side SPA.
export const prerender = true;
export const trailingSlash = 'never';
