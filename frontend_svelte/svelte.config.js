import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		// Public pages are prerendered to HTML; everything else (the app under
		// /app and the account pages) is served by the SPA fallback page.
		adapter: adapter({ fallback: '200.html' }),
		// A Content-Security-Policy in every page (a <meta> tag with the hashes
		// of SvelteKit's inline start-up script); Caddy adds frame-ancestors and
		// the rest of the policy as a header (docker/caddy/Caddyfile).
		csp: {
			mode: 'hash',
			directives: {
				'default-src': ['self'],
				'script-src': ['self'],
				'style-src': ['self', 'unsafe-inline'],
				'img-src': ['self', 'data:', 'blob:'],
				'connect-src': ['self'],
				'worker-src': ['self', 'blob:'],
				'object-src': ['none'],
				'base-uri': ['self'],
				'form-action': ['self']
			}
		}
	}
};

export default config;
