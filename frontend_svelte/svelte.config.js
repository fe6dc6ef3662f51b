import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		// Public pages are prerendered to HTML; everything else (the app under
		// /app and the account pages) is served by the SPA fallback page.
		adapter: adapter({ fallback: '200.html' })
	}
};

export default config;
