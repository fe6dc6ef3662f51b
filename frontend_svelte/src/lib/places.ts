/**
 * Place search and the address at a point, through the API's cache of the
 * geocoder (`places/`, `places/reverse/`). A search is sent when the person
 * submits it, never while they type: the geocoder allows the whole
 * deployment one request a second.
 */
import { API_PREFIX, apiFetch, type Model } from '$lib/api/client';
import { fetchWithJob } from '$lib/api/jobs';

export type Place = Model<'Place'>;
export type PlaceSearch = Model<'PlaceSearch'>;
export type PlaceReverse = Model<'PlaceReverse'>;

export async function searchPlaces(query: string, signal?: AbortSignal): Promise<PlaceSearch> {
	const url = `${API_PREFIX}/places/?${new URLSearchParams({ q: query.trim() })}`;
	const { response } = await fetchWithJob(url, { fetch: apiFetch, signal });
	return (await response.json()) as PlaceSearch;
}

export async function placeAt(
	lat: number,
	lng: number,
	signal?: AbortSignal
): Promise<PlaceReverse> {
	const url = `${API_PREFIX}/places/reverse/?${new URLSearchParams({
		lat: lat.toFixed(5),
		lng: lng.toFixed(5)
	})}`;
	const { response } = await fetchWithJob(url, { fetch: apiFetch, signal });
	return (await response.json()) as PlaceReverse;
}
