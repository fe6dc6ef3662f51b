import { describe, expect, it } from 'vitest';
import { periodSummaryText, type SunRaster } from '$lib/data/sun';
import { monthsOfRange, periodHours, periodTenths, periodWeights, seasonWeights } from './period';

const season = { start: '04-16', end: '10-14', days: 182 };

describe('period weights', () => {
	it('a month is that month alone', () => {
		expect(periodWeights({ kind: 'month', month: 6 }, season)).toEqual([
			0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0
		]);
	});
	it('the year counts each month by its days', () => {
		const w = periodWeights({ kind: 'year' }, season);
		expect(w.reduce((a, b) => a + b, 0)).toBe(365);
		expect(w[1]).toBe(28);
	});
	it('the growing season counts the days from its start to its end, both included', () => {
		const w = seasonWeights('04-16', '10-14');
		expect(w).toEqual([0, 0, 0, 15, 31, 30, 31, 31, 30, 14, 0, 0]);
		expect(w.reduce((a, b) => a + b, 0)).toBe(182);
	});
	it('a season over the new year (south) wraps', () => {
		const w = seasonWeights('10-01', '03-31');
		expect(w).toEqual([31, 28, 31, 0, 0, 0, 0, 0, 0, 31, 30, 31]);
	});
	it('a range of months wraps over the new year', () => {
		expect(monthsOfRange(11, 2)).toEqual([11, 12, 1, 2]);
		expect(periodWeights({ kind: 'range', from: 11, to: 2 }, season)).toEqual([
			31, 28, 0, 0, 0, 0, 0, 0, 0, 0, 30, 31
		]);
	});
});

describe('hours over a period', () => {
	const raster: SunRaster = {
		width: 2,
		height: 1,
		// cell 0: 10 h in January, 2 h in February, 0 elsewhere; cell 1: no data in February
		values: Uint8Array.from([
			100, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 50, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
		]),
		nodata: 255,
		originX: 0,
		originY: 0,
		resX: 1,
		resY: -1,
		bbox: [0, -1, 2, 0]
	};
	it('each cell averages its months weighted by days', () => {
		const w = [31, 28, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
		// (100 * 31 + 20 * 28) / 59 = 62.03 tenths
		expect(Array.from(periodTenths(raster, w))).toEqual([62, 255]);
		expect(periodHours([10, 2, ...new Array(10).fill(0)], w)).toBeCloseTo(
			(10 * 31 + 2 * 28) / 59,
			9
		);
		expect(periodHours([5, null, ...new Array(10).fill(0)], w)).toBeNull();
	});
});

describe('the map in words over a period', () => {
	it('shares of the square by category and the mean, nodata left out', () => {
		// 7 h, 5 h, 3 h, 1 h and a cell without data
		const text = periodSummaryText(Uint8Array.from([70, 50, 30, 10, 255]), 255, 'the year');
		expect(text).toBe(
			'Over the year, 25 % of the square gets full sun, 25 % part sun, 25 % part shade and 25 % shade; 4.0 hours of direct sun a day on average.'
		);
	});
});
