/**
 * The site's sun raster (docs/sun.md): a GeoTIFF in EPSG:4326 over the site's
 * square, 12 bands (January first) of uint8 tenths of an hour of direct sun
 * per day, nodata 255, row 0 at the north edge. Decoded with geotiff.js,
 * pixel-interleaved, so one spot's twelve months sit side by side.
 */
import { fromArrayBuffer } from 'geotiff';
import type { Model } from '$lib/api/client';
import { lightCategory, LIGHT_COLOURS, type LightCategory } from './light';

export const MONTHS = 12;

export interface SunRaster {
	width: number;
	height: number;
	/** Tenths of an hour, pixel-interleaved: `values[(row * width + col) * 12 + month - 1]`. */
	values: Uint8Array;
	nodata: number;
	/** The GeoTIFF's origin (north-west corner) and cell size in degrees (resY is negative). */
	originX: number;
	originY: number;
	resX: number;
	resY: number;
	/** [west, south, east, north] in degrees. */
	bbox: [number, number, number, number];
}

/** The JSON of `sun/summary/` and of `sun/point/` (docs/sun.md). */
export type SunSummary = Model<'SunSummary'>;
export type SunPoint = Model<'SunPoint'>;

export async function decodeSun(buffer: ArrayBuffer): Promise<SunRaster> {
	const tiff = await fromArrayBuffer(buffer);
	const image = await tiff.getImage();
	if (image.getSamplesPerPixel() !== MONTHS) {
		throw new Error(`The sun map has ${image.getSamplesPerPixel()} bands, not 12.`);
	}
	const raster = (await image.readRasters({ interleave: true })) as unknown as ArrayLike<number>;
	const values = raster instanceof Uint8Array ? raster : Uint8Array.from(raster);
	const [originX, originY] = image.getOrigin();
	const [resX, resY] = image.getResolution();
	return {
		width: image.getWidth(),
		height: image.getHeight(),
		values,
		nodata: image.getGDALNoData() ?? 255,
		originX,
		originY,
		resX,
		resY,
		bbox: image.getBoundingBox() as [number, number, number, number]
	};
}

/**
 * The cell holding a point, or null outside the raster. The same arithmetic
 * as the server's `sun_point_read` (floor of the offset over the cell size,
 * from the GeoTIFF's own origin and scale), so both pick the same cell.
 */
export function sunCellAt(
	raster: SunRaster,
	lat: number,
	lng: number
): { row: number; col: number } | null {
	if (!Number.isFinite(lat) || !Number.isFinite(lng)) return null;
	const col = Math.floor((lng - raster.originX) / raster.resX);
	const row = Math.floor((lat - raster.originY) / raster.resY);
	if (row < 0 || col < 0 || row >= raster.height || col >= raster.width) return null;
	return { row, col };
}

/** The centre of a cell, in degrees. */
export function sunCellCentre(raster: SunRaster, row: number, col: number) {
	return {
		lat: raster.originY + (row + 0.5) * raster.resY,
		lng: raster.originX + (col + 0.5) * raster.resX
	};
}

/** Hours of direct sun per day at a cell, January first (null where there is no data). */
export function sunHoursAt(raster: SunRaster, row: number, col: number): (number | null)[] {
	const start = (row * raster.width + col) * MONTHS;
	return Array.from(raster.values.subarray(start, start + MONTHS), (v) =>
		v === raster.nodata ? null : Math.round(v) / 10
	);
}

/** Heatmap colours: each light category its own colour, a little lighter with more hours inside it. */
export function sunColour(tenths: number): [number, number, number] {
	const hours = tenths / 10;
	const category = lightCategory(hours);
	const [r, g, b] = LIGHT_COLOURS[category];
	// Within a category: from 12 % darker at its lower bound to its own colour at the top.
	const bounds: Record<LightCategory, [number, number]> = {
		shade: [0, 2],
		part_shade: [2, 4],
		part_sun: [4, 6],
		full_sun: [6, 12]
	};
	const [low, high] = bounds[category];
	const t = Math.min(1, Math.max(0, (hours - low) / (high - low)));
	const k = 0.88 + 0.12 * t;
	return [Math.round(r * k), Math.round(g * k), Math.round(b * k)];
}

/** The growing season: April to September north of the equator, October to March south. */
export function growingMonths(lat: number): number[] {
	return lat >= 0 ? [4, 5, 6, 7, 8, 9] : [10, 11, 12, 1, 2, 3];
}

/** The month the map opens on: this month in the growing season, else the season's next month. */
export function defaultSunMonth(lat: number, today: Date = new Date()): number {
	const month = today.getMonth() + 1;
	const season = growingMonths(lat);
	return season.includes(month) ? month : season[0];
}

const MONTH_NAMES = [
	'January',
	'February',
	'March',
	'April',
	'May',
	'June',
	'July',
	'August',
	'September',
	'October',
	'November',
	'December'
];

export function fullMonthName(month: number): string {
	return MONTH_NAMES[(month - 1 + 12) % 12];
}

function percent(share: number | null): number {
	return Math.round((share ?? 0) * 100);
}

/**
 * The map in words, from the summary: "In June, 62 % of the ground gets full
 * sun, 20 % part sun, 10 % part shade and 8 % shade; 6.1 hours a day on average."
 */
export function sunSummaryText(summary: SunSummary, month: number): string {
	const name = fullMonthName(month);
	const entry = summary.months.find((m) => m.month === month);
	const shares = Object.values(entry?.light ?? {}) as (number | null)[];
	if (!entry || entry.mean === null || shares.every((share) => share === null)) {
		return `In ${name} there is no open ground in this square to measure.`;
	}
	const { full_sun, part_sun, part_shade, shade } = entry.light;
	return (
		`In ${name}, ${percent(full_sun)} % of the ground gets full sun, ${percent(part_sun)} % part sun, ` +
		`${percent(part_shade)} % part shade and ${percent(shade)} % shade; ` +
		`${entry.mean.toFixed(1)} hours of direct sun a day on average` +
		(entry.daylight_hours !== null ? ` (open ground: ${entry.daylight_hours.toFixed(1)} h).` : '.')
	);
}

/** The summary's terrain section (sun model 2; not in the schema's types yet). */
interface TerrainSummary {
	elevation_m: number;
	slope_degrees: number;
	aspect_degrees: number | null;
	horizon_step_degrees: number;
	horizon_degrees: number[];
}

function terrainOf(summary: SunSummary): TerrainSummary | null {
	const terrain = (summary as { terrain?: TerrainSummary | null }).terrain;
	return terrain && Array.isArray(terrain.horizon_degrees) ? terrain : null;
}

/** The highest the terrain stands above the horizon between south-east and south-west (north: between north-east and north-west), degrees. */
export function sunwardHorizon(summary: SunSummary, lat: number): number {
	const terrain = terrainOf(summary);
	if (!terrain) return 0;
	const centre = lat >= 0 ? 180 : 0;
	let highest = 0;
	terrain.horizon_degrees.forEach((angle, i) => {
		const azimuth = i * terrain.horizon_step_degrees;
		const off = Math.abs(((azimuth - centre + 540) % 360) - 180);
		if (off <= 60) highest = Math.max(highest, angle);
	});
	return highest;
}

/** What the shade words need beyond the summary: each cell's hours over the period and whether it is under a tree crown. */
export interface ShadeCells {
	/** Hours a day (tenths) of each cell of the sun raster over the period; nodata 255. */
	tenths: Uint8Array;
	/** 1 where the cell's centre lies under a tree crown (canopy 2 m or taller). */
	underCrown: Uint8Array | null;
	nodata: number;
}

/**
 * What causes the square's shade, in words: how much of open ground's sun the
 * square gets over the period, whether most of what it loses is lost under
 * tree crowns (the canopy raster under each cell), whether hills on the sun's
 * side stand high (the summary's terrain horizon), and the roofs' share of
 * the square (the summary's `surface.roof_share`). Without hills, empty when the square is
 * mostly sunny.
 */
export function shadeCauseText(
	summary: SunSummary,
	cells: ShadeCells,
	weights: number[],
	period: string,
	lat: number
): string {
	let daylight = 0;
	let total = 0;
	summary.months.forEach((m) => {
		const w = weights[m.month - 1] ?? 0;
		daylight += w * m.daylight_hours;
		total += w;
	});
	if (!total || daylight <= 0) return '';
	daylight /= total;
	let lost = 0;
	let lostUnder = 0;
	let counted = 0;
	let crowns = 0;
	let sum = 0;
	cells.tenths.forEach((v, i) => {
		if (v === cells.nodata) return;
		counted++;
		sum += v / 10;
		const gone = Math.max(0, daylight - v / 10);
		lost += gone;
		if (cells.underCrown?.[i]) {
			lostUnder += gone;
			crowns++;
		}
	});
	if (!counted) return '';
	const mean = sum / counted;
	const share = mean / daylight;
	const words: string[] = [];
	const hills = sunwardHorizon(summary, lat);
	if (share <= 0.75) {
		words.push(
			`Over ${period} the ground here gets ${Math.round(share * 100)} % of the sun open ground would.`
		);
	}
	if (hills >= 5) {
		words.push(
			`Hills on the sun’s side rise up to ${Math.round(hills)}° above the horizon and hide the low sun.`
		);
	}
	if (share > 0.75) return words.join(' ');
	const crownShare = crowns / counted;
	const roofs = summary.surface.roof_share;
	if (cells.underCrown && lost > 0 && lostUnder / lost >= 0.5) {
		words.push(
			`Trees cause most of this shade: ${Math.round((lostUnder / lost) * 100)} % of the sun the ground loses is lost under tree crowns, which cover ${Math.round(crownShare * 100)} % of the square.`
		);
	} else if (roofs >= 0.15) {
		words.push(
			`Most of it falls on open ground, cast by the buildings (roofs cover ${Math.round(roofs * 100)} % of the square, the tallest is ${Math.round(summary.surface.tallest_m)} m) and the trees around.`
		);
	}
	return words.join(' ');
}

/**
 * The map in words over a period of more than a month, from each cell's hours
 * over it (tenths; roofs included, as the map shows them): "Over the year,
 * 40 % of the square gets full sun, …; 5.2 hours of direct sun a day on average."
 */
export function periodSummaryText(tenths: Uint8Array, nodata: number, period: string): string {
	const counts: Record<LightCategory, number> = {
		full_sun: 0,
		part_sun: 0,
		part_shade: 0,
		shade: 0
	};
	let cells = 0;
	let sum = 0;
	for (const v of tenths) {
		if (v === nodata) continue;
		cells++;
		sum += v / 10;
		counts[lightCategory(v / 10)]++;
	}
	if (!cells) return `Over ${period} there is no ground in this square to measure.`;
	const pct = (n: number) => Math.round((n / cells) * 100);
	return (
		`Over ${period}, ${pct(counts.full_sun)} % of the square gets full sun, ${pct(counts.part_sun)} % part sun, ` +
		`${pct(counts.part_shade)} % part shade and ${pct(counts.shade)} % shade; ` +
		`${(sum / cells).toFixed(1)} hours of direct sun a day on average.`
	);
}
