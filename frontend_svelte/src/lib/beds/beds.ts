/**
 * A plan's beds as the app edits them (docs/plans.md, "Beds"): GeoJSON
 * Polygons with a string id and a name, what the keyboard does to one (move,
 * resize, a new square bed), and each bed's sun over a period from
 * `beds/sun/`.
 */
import type { Model } from '$lib/api/client';
import { LIGHT_COLOURS, type LightCategory } from '$lib/data/light';
import { metresPerDegree } from '$lib/geo';
import type { Period } from './period';

export type BedFeature = Model<'BedFeature'>;
export type BedCollection = Model<'BedCollection'>;
export type BedsSun = Model<'BedsSun'>;
export type BedSun = Model<'BedSun'>;
export type Ring = number[][];

/** The side of a bed added from the keyboard, metres. */
export const NEW_BED_SIDE_M = 4;

/** Decimals of a degree kept in a bed's corners (~1 mm; terra-draw refuses more than 9). */
export const PRECISION = 8;

function round(value: number): number {
	return Number(value.toFixed(PRECISION));
}

/** A ring with its positions rounded to PRECISION. */
export function roundRing(ring: Ring): Ring {
	return ring.map(([x, y]) => [round(x), round(y)]);
}

/** A rectangle of `width` × `height` metres centred on a point, as a closed ring. */
export function squareRing(
	lng: number,
	lat: number,
	width: number = NEW_BED_SIDE_M,
	height: number = NEW_BED_SIDE_M
): Ring {
	const scale = metresPerDegree(lat);
	const dx = width / 2 / scale.lng;
	const dy = height / 2 / scale.lat;
	const w = lng - dx;
	const e = lng + dx;
	const s = lat - dy;
	const n = lat + dy;
	return roundRing([
		[w, s],
		[e, s],
		[e, n],
		[w, n],
		[w, s]
	]);
}

/** A point clamped into a box, `margin` metres inside it. */
export function clampInto(
	lng: number,
	lat: number,
	[west, south, east, north]: [number, number, number, number],
	margin: number
): { lng: number; lat: number } {
	const scale = metresPerDegree(lat);
	const mx = margin / scale.lng;
	const my = margin / scale.lat;
	return {
		lng: Math.min(east - mx, Math.max(west + mx, lng)),
		lat: Math.min(north - my, Math.max(south + my, lat))
	};
}

/** Every position of a ring moved `east` and `north` metres. */
export function moveRing(ring: Ring, east: number, north: number): Ring {
	const lat = ring[0][1];
	const scale = metresPerDegree(lat);
	return roundRing(ring.map(([x, y]) => [x + east / scale.lng, y + north / scale.lat]));
}

/**
 * A ring stretched from its south-west corner of its bounding box: `east`
 * metres wider and `north` metres taller (never below 1 m).
 */
export function resizeRing(ring: Ring, east: number, north: number): Ring {
	const xs = ring.map((p) => p[0]);
	const ys = ring.map((p) => p[1]);
	const west = Math.min(...xs);
	const south = Math.min(...ys);
	const scale = metresPerDegree(south);
	const width = (Math.max(...xs) - west) * scale.lng;
	const height = (Math.max(...ys) - south) * scale.lat;
	const kx = Math.max(1, width + east) / Math.max(width, 1e-9);
	const ky = Math.max(1, height + north) / Math.max(height, 1e-9);
	return roundRing(ring.map(([x, y]) => [west + (x - west) * kx, south + (y - south) * ky]));
}

/** What the keyboard pad does with a key: a move or a resize in metres (Shift resizes,
 * Ctrl takes steps of 10 m instead of 1 m), or nothing. */
export function keyAction(
	key: string,
	shift: boolean,
	ctrl = false
): { kind: 'move' | 'resize'; east: number; north: number } | null {
	const step: Record<string, [number, number]> = {
		ArrowUp: [0, 1],
		ArrowDown: [0, -1],
		ArrowLeft: [-1, 0],
		ArrowRight: [1, 0]
	};
	const d = step[key];
	if (!d) return null;
	const metres = ctrl ? 10 : 1;
	return { kind: shift ? 'resize' : 'move', east: d[0] * metres, north: d[1] * metres };
}

/** A bed's statistics over the period, from `beds/sun/`. */
export function bedStats(
	bed: BedSun,
	period: Period
): { mean: number | null; min: number | null; max: number | null; light: LightCategory | null } {
	const empty = { mean: null, min: null, max: null, light: null };
	switch (period.kind) {
		case 'month': {
			const m = bed.months[period.month - 1];
			return m ? { mean: m.mean, min: m.min, max: m.max, light: m.light ?? null } : empty;
		}
		case 'season':
			return { ...bed.growing_season, light: bed.growing_season.light ?? null };
		case 'year':
			return { ...bed.year, light: bed.year.light ?? null };
		case 'range':
			return bed.period ? { ...bed.period, light: bed.period.light ?? null } : empty;
	}
}

/** `#rrggbb` of a light category (terra-draw's styles take hex colours). */
export function categoryHex(category: LightCategory | null): `#${string}` {
	if (!category) return '#9ca3af';
	return `#${LIGHT_COLOURS[category].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

/** The body of `PATCH plans/{id}/` for these beds: id, outline and name only, the plants kept. */
export function bedsBody(
	beds: { id: string; ring: Ring[]; name: string; plants?: number[] }[]
): Model<'BedCollectionRequest'> {
	return {
		type: 'FeatureCollection',
		features: beds.map((bed) => ({
			type: 'Feature',
			id: bed.id,
			geometry: { type: 'Polygon', coordinates: bed.ring },
			properties: { name: bed.name, ...(bed.plants ? { plants: bed.plants } : {}) }
		}))
	};
}
