import { redirect } from '@sveltejs/kit';
import { session } from '$lib/session.svelte';
import type { LayoutLoad } from './$types';

// The signed-in app is a client-rendered SPA: no server rendering, no prerendering.
export const ssr = false;
export const prerender = false;

export const load: LayoutLoad = async ({ url }) => {
	const user = session.user ?? (await session.refresh());
	if (!user) {
		redirect(307, `/login?next=${encodeURIComponent(url.pathname + url.search)}`);
	}
	return { user };
};
