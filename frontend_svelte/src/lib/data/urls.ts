/** The data URLs the plan page asks for, built the same way everywhere. */
import { API_PREFIX } from '$lib/api/client';

/** Half the side of the buildings box around the plan point, in degrees. */
export const BUILDINGS_HALF_SIDE_DEG = 0.0015;

function coord(value: number): string {
	// Six decimals (~0.1 m) keep URLs short and identical for the same point.
	return String(Math.round(value * 1e6) / 1e6);
}

export function climateSummaryUrl(lat: number, lng: number): string {
	return `${API_PREFIX}/climate/summary/?lat=${coord(lat)}&lng=${coord(lng)}`;
}

export function buildingsBox(lat: number, lng: number) {
	const d = BUILDINGS_HALF_SIDE_DEG;
	return { south: lat - d, west: lng - d, north: lat + d, east: lng + d };
}

export function buildingsUrl(lat: number, lng: number): string {
	const box = buildingsBox(lat, lng);
	const bbox = [box.south, box.west, box.north, box.east].map(coord).join(',');
	return `${API_PREFIX}/buildings/?bbox=${bbox}`;
}

export function canopyUrl(lat: number, lng: number): string {
	return `${API_PREFIX}/canopy/?lat=${coord(lat)}&lng=${coord(lng)}`;
}

export function sunUrl(lat: number, lng: number): string {
	return `${API_PREFIX}/sun/?lat=${coord(lat)}&lng=${coord(lng)}`;
}

export function sunSummaryUrl(lat: number, lng: number): string {
	return `${API_PREFIX}/sun/summary/?lat=${coord(lat)}&lng=${coord(lng)}`;
}
