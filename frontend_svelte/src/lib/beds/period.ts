/**
 * The period the sun map and the bed table show: one month, the growing
 * season, the year or a range of months. Over more than a month each month
 * counts by its days in the period (a common year), as `beds/sun/` averages
 * them on the server (docs/plans.md, "Each bed's sun").
 */
import { fullMonthName, MONTHS, type SunRaster } from '$lib/data/sun';
import { sunColour } from '$lib/data/sun';

export type Period =
	| { kind: 'month'; month: number }
	| { kind: 'season' }
	| { kind: 'year' }
	| { kind: 'range'; from: number; to: number };

/** Days of each month in a common year, January first. */
export const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The months from `from` to `to`, both included, over the new year when `to` < `from`. */
export function monthsOfRange(from: number, to: number): number[] {
	const months: number[] = [];
	for (let m = from; ; m = (m % 12) + 1) {
		months.push(m);
		if (m === to || months.length === 12) return months;
	}
}

/** Day of a common year (1-365) of "MM-DD". */
function dayOfYear(monthDay: string): number {
	const [month, day] = monthDay.split('-').map(Number);
	return MONTH_DAYS.slice(0, month - 1).reduce((a, b) => a + b, 0) + day;
}

/**
 * Days of each month (January first) from `start` to `end` ("MM-DD", both
 * included), over the new year when the end comes first.
 */
export function seasonWeights(start: string, end: string): number[] {
	const weights = new Array(12).fill(0);
	const first = dayOfYear(start);
	const last = dayOfYear(end);
	const span = last >= first ? last - first + 1 : 365 - first + 1 + last;
	let month = Number(start.split('-')[0]) - 1;
	let dayInMonth = Number(start.split('-')[1]);
	for (let i = 0; i < span; i++) {
		weights[month] += 1;
		dayInMonth += 1;
		if (dayInMonth > MONTH_DAYS[month]) {
			month = (month + 1) % 12;
			dayInMonth = 1;
		}
	}
	return weights;
}

/** The growing season as `beds/sun/` gives it (frost dates), or April–September / October–March. */
export interface Season {
	start: string;
	end: string;
	days: number;
	note?: string;
}

export function fallbackSeason(lat: number): Season {
	return lat >= 0
		? { start: '04-01', end: '09-30', days: 183 }
		: { start: '10-01', end: '03-31', days: 182 };
}

/** Weights of the 12 months (days counted in the period), January first. */
export function periodWeights(period: Period, season: Season): number[] {
	switch (period.kind) {
		case 'month':
			return MONTH_DAYS.map((_, i) => (i + 1 === period.month ? 1 : 0));
		case 'year':
			return [...MONTH_DAYS];
		case 'season':
			return seasonWeights(season.start, season.end);
		case 'range': {
			const inside = new Set(monthsOfRange(period.from, period.to));
			return MONTH_DAYS.map((days, i) => (inside.has(i + 1) ? days : 0));
		}
	}
}

function dayLabel(monthDay: string): string {
	const [month, day] = monthDay.split('-').map(Number);
	return `${day} ${fullMonthName(month)}`;
}

/** "June", "the growing season (16 April to 14 October)", "the year", "March to May". */
export function periodLabel(period: Period, season: Season): string {
	switch (period.kind) {
		case 'month':
			return fullMonthName(period.month);
		case 'year':
			return 'the year';
		case 'season':
			return `the growing season (${dayLabel(season.start)} to ${dayLabel(season.end)})`;
		case 'range':
			return period.from === period.to
				? fullMonthName(period.from)
				: `${fullMonthName(period.from)} to ${fullMonthName(period.to)}`;
	}
}

/** The query `beds/sun/` needs for the period (only a range asks for its own `period`). */
export function bedsSunQuery(period: Period): string {
	return period.kind === 'range' ? `?from=${period.from}&to=${period.to}` : '';
}

/**
 * Hours of sun a day at each cell over the period, in tenths (the raster's
 * unit), nodata where any month with weight lacks data.
 */
export function periodTenths(raster: SunRaster, weights: number[]): Uint8Array {
	const cells = raster.width * raster.height;
	const out = new Uint8Array(cells);
	const total = weights.reduce((a, b) => a + b, 0);
	for (let i = 0; i < cells; i++) {
		let sum = 0;
		let missing = false;
		for (let m = 0; m < MONTHS; m++) {
			if (!weights[m]) continue;
			const v = raster.values[i * MONTHS + m];
			if (v === raster.nodata) {
				missing = true;
				break;
			}
			sum += v * weights[m];
		}
		out[i] = missing || !total ? raster.nodata : Math.round(sum / total);
	}
	return out;
}

/** RGBA pixels of the period's hours (the heatmap's colours; nodata transparent). */
export function periodRgba(raster: SunRaster, weights: number[]): Uint8ClampedArray<ArrayBuffer> {
	const tenths = periodTenths(raster, weights);
	const out = new Uint8ClampedArray(tenths.length * 4);
	const palette = new Map<number, [number, number, number]>();
	tenths.forEach((v, i) => {
		if (v === raster.nodata) return;
		let colour = palette.get(v);
		if (!colour) {
			colour = sunColour(v);
			palette.set(v, colour);
		}
		out[i * 4] = colour[0];
		out[i * 4 + 1] = colour[1];
		out[i * 4 + 2] = colour[2];
		out[i * 4 + 3] = 255;
	});
	return out;
}

/** A spot's hours over the period from its 12 monthly values (null when a weighted month has none). */
export function periodHours(hours: (number | null)[], weights: number[]): number | null {
	let sum = 0;
	let total = 0;
	for (let m = 0; m < MONTHS; m++) {
		if (!weights[m]) continue;
		const h = hours[m];
		if (h === null) return null;
		sum += h * weights[m];
		total += weights[m];
	}
	return total ? sum / total : null;
}
