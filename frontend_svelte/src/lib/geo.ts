/** Small geometry and formatting helpers for the plan page's drawings. */

const EARTH_RADIUS = 6_378_137; // EPSG:3857 sphere

/** Metres per degree of latitude and of longitude at ``lat`` on the WGS84 ellipsoid. */
export function metresPerDegree(lat: number): { lat: number; lng: number } {
	const a = 6_378_137;
	const f = 1 / 298.257223563;
	const e2 = f * (2 - f);
	const phi = (lat * Math.PI) / 180;
	const w = 1 - e2 * Math.sin(phi) ** 2;
	const meridian = (a * (1 - e2)) / w ** 1.5;
	const normal = a / Math.sqrt(w);
	return { lat: (meridian * Math.PI) / 180, lng: (normal * Math.cos(phi) * Math.PI) / 180 };
}

/** The WGS84 point of Web Mercator (EPSG:3857) metres. */
export function fromWebMercator(x: number, y: number): { lng: number; lat: number } {
	return {
		lng: ((x / EARTH_RADIUS) * 180) / Math.PI,
		lat: ((2 * Math.atan(Math.exp(y / EARTH_RADIUS)) - Math.PI / 2) * 180) / Math.PI
	};
}

/**
 * Whether a point lies inside a polygon given as rings of [x, y] (the first
 * the outline, the others holes): the even-odd rule over every ring.
 */
export function insidePolygon(x: number, y: number, rings: number[][][]): boolean {
	let inside = false;
	for (const ring of rings) {
		for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
			const [xi, yi] = ring[i];
			const [xj, yj] = ring[j];
			if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
		}
	}
	return inside;
}

/** Web Mercator (EPSG:3857) metres of a WGS84 point. */
export function toWebMercator(lng: number, lat: number): { x: number; y: number } {
	const x = (EARTH_RADIUS * lng * Math.PI) / 180;
	const y = EARTH_RADIUS * Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360));
	return { x, y };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function monthName(month: number): string {
	return MONTHS[(month - 1 + 12) % 12];
}

/** "12 Apr" for a day of the year (1-366, counted in a non-leap year; 366 = 31 Dec). */
export function dayOfYearLabel(day: number | null | undefined): string {
	if (day === null || day === undefined || !Number.isFinite(day)) return '–';
	const clamped = Math.min(365, Math.max(1, Math.round(day)));
	const date = new Date(Date.UTC(2001, 0, clamped));
	return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]}`;
}

/** Linear interpolation between two RGB colours, t in [0, 1]. */
export function mix(a: [number, number, number], b: [number, number, number], t: number) {
	const k = Math.min(1, Math.max(0, t));
	return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * k)) as [number, number, number];
}

/** A colour ramp through several stops, t in [0, 1]. */
export function ramp(stops: Array<[number, number, number]>, t: number): [number, number, number] {
	const k = Math.min(1, Math.max(0, t)) * (stops.length - 1);
	const i = Math.min(stops.length - 2, Math.floor(k));
	return mix(stops[i], stops[i + 1], k - i);
}

export function rgb([r, g, b]: [number, number, number]): string {
	return `rgb(${r} ${g} ${b})`;
}

/** Building fill by height: light for low buildings, dark for tall ones. */
export const BUILDING_RAMP: Array<[number, number, number]> = [
	[254, 229, 217],
	[252, 146, 114],
	[203, 24, 29],
	[103, 0, 13]
];

/** Canopy colours by tree height: pale yellow-green to deep green. */
export const CANOPY_RAMP: Array<[number, number, number]> = [
	[247, 252, 185],
	[173, 221, 142],
	[49, 163, 84],
	[0, 69, 41]
];

export function formatCoord(value: number, positive: string, negative: string): string {
	return `${Math.abs(value).toFixed(4)}° ${value >= 0 ? positive : negative}`;
}

export function formatLatLng(lat: number, lng: number): string {
	return `${formatCoord(lat, 'N', 'S')}, ${formatCoord(lng, 'E', 'W')}`;
}
