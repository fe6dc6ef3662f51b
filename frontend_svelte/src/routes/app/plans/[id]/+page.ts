import { error } from '@sveltejs/kit';
import { api, ApiError, unwrap, type Plan } from '$lib/api/client';
import type { PageLoad } from './$types';

export const load: PageLoad = async ({ params }) => {
	try {
		const plan = (await unwrap(
			api.GET('/api/v1/plans/{id}/', { params: { path: { id: params.id } } })
		)) as Plan;
		return { plan };
	} catch (err) {
		if (err instanceof ApiError && (err.status === 404 || err.status === 400)) {
			error(404, 'There is no such plan, or it belongs to someone else.');
		}
		if (err instanceof ApiError) error(err.status || 503, err.message);
		throw err;
	}
};
