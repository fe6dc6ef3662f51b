/**
 * What the site map is made of, in MapLibre's terms: the basemap from the
 * project's TileJSON (one origin: tiles come through `/api/v1/tiles/`, the
 * attribution from the TileJSON), and helpers that put the data the plan page
 * already decodes (the sun and canopy GeoTIFFs, the shadow PNG, the buildings)
 * onto the map as canvas and GeoJSON sources.
 */
import type { StyleSpecification } from 'maplibre-gl';
import type { BuildingCollection } from '$lib/api/client';
import { API_PREFIX } from '$lib/api/client';
import { BUILDING_RAMP, rgb } from '$lib/geo';

/** The basemap's TileJSON (tile template, zooms, attribution), on this origin. */
export function tileJsonUrl(origin: string = globalThis.location?.origin ?? ''): string {
	return `${origin}${API_PREFIX}/tiles/`;
}

/** The map's zooms: the basemap's tiles to 19, then drawn larger (a 1 m cell stays visible). */
export const MAX_ZOOM = 21;
export const MAX_PITCH = 70;

/** The style every map of the app starts from: a background and the basemap. */
export function baseStyle(tilejson: string = tileJsonUrl()): StyleSpecification {
	return {
		version: 8,
		sources: {
			basemap: { type: 'raster', url: tilejson, tileSize: 256 }
		},
		layers: [
			{ id: 'background', type: 'background', paint: { 'background-color': '#eef0ea' } },
			{ id: 'basemap', type: 'raster', source: 'basemap' }
		]
	};
}

/** A box's four corners as a canvas/image source wants them: north-west, north-east, south-east, south-west. */
export function corners(
	west: number,
	south: number,
	east: number,
	north: number
): [[number, number], [number, number], [number, number], [number, number]] {
	return [
		[west, north],
		[east, north],
		[east, south],
		[west, south]
	];
}

/** Paint RGBA pixels onto a canvas of their size. */
export function paint(
	canvas: HTMLCanvasElement,
	pixels: Uint8ClampedArray<ArrayBuffer>,
	width: number,
	height: number
): void {
	canvas.width = width;
	canvas.height = height;
	canvas.getContext('2d')?.putImageData(new ImageData(pixels, width, height), 0, 0);
}

/** The buildings as a GeoJSON source for `fill-extrusion`: each with its height and colour. */
export function buildingsData(
	buildings: BuildingCollection | null,
	tallest: number
): GeoJSON.FeatureCollection {
	const features = (buildings?.features ?? [])
		.filter((f) => f.geometry?.type === 'Polygon' && f.geometry.coordinates.length > 0)
		.map((f, index) => ({
			type: 'Feature' as const,
			id: index,
			geometry: { type: 'Polygon' as const, coordinates: f.geometry.coordinates },
			properties: {
				height: f.properties.height_m,
				colour: buildingColour(f.properties.height_m, tallest)
			}
		}));
	return { type: 'FeatureCollection', features };
}

export function buildingColour(height: number, scaleMax: number): string {
	const t = Math.min(1, Math.max(0, height / Math.max(1, scaleMax)));
	const k = t * (BUILDING_RAMP.length - 1);
	const i = Math.min(BUILDING_RAMP.length - 2, Math.floor(k));
	const a = BUILDING_RAMP[i];
	const b = BUILDING_RAMP[i + 1];
	const f = k - i;
	return rgb(
		[0, 1, 2].map((j) => Math.round(a[j] + (b[j] - a[j]) * f)) as [number, number, number]
	);
}

/** A point as GeoJSON. */
export function pointData(lng: number, lat: number): GeoJSON.FeatureCollection {
	return {
		type: 'FeatureCollection',
		features: [
			{ type: 'Feature', geometry: { type: 'Point', coordinates: [lng, lat] }, properties: {} }
		]
	};
}

/** A box's outline as GeoJSON (the sun square). */
export function boxOutline(
	west: number,
	south: number,
	east: number,
	north: number
): GeoJSON.FeatureCollection {
	return {
		type: 'FeatureCollection',
		features: [
			{
				type: 'Feature',
				geometry: {
					type: 'LineString',
					coordinates: [...corners(west, south, east, north), [west, north]]
				},
				properties: {}
			}
		]
	};
}
