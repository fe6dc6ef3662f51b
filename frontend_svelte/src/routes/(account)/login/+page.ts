import { redirect } from '@sveltejs/kit';
import { safeNext, session } from '$lib/session.svelte';
import type { PageLoad } from './$types';

// Someone already signed in goes on to where they were headed (their plans).
export const load: PageLoad = async ({ url }) => {
	if (await session.known()) redirect(307, safeNext(url.searchParams.get('next')));
};
