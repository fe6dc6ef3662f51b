import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

// The dev server proxies the API, the admin and Django's static files so the
// browser sees one origin: Django's session cookie and CSRF check work as is.
// The Host header is kept (no changeOrigin) so Django's CSRF origin check
// compares the page's origin with itself.
const apiTarget =
	process.env.VITE_API_PROXY ?? `http://127.0.0.1:${process.env.DJANGO_PORT ?? '8000'}`;
const proxied = { target: apiTarget, changeOrigin: false };

export default defineConfig({
	plugins: [sveltekit()],
	server: {
		proxy: { '/api': proxied, '/admin': proxied, '/static': proxied }
	},
	preview: {
		proxy: { '/api': proxied, '/admin': proxied, '/static': proxied }
	},
	test: {
		include: ['src/**/*.test.ts'],
		environment: 'node'
	}
});
