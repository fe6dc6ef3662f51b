import { describe, expect, it } from 'vitest';
import {
	dayOfYearLabel,
	fromWebMercator,
	insidePolygon,
	metresPerDegree,
	ramp,
	toWebMercator,
	BUILDING_RAMP
} from './geo';

describe('geo helpers', () => {
	it('labels days of the year', () => {
		expect(dayOfYearLabel(1)).toBe('1 Jan');
		expect(dayOfYearLabel(102)).toBe('12 Apr');
		expect(dayOfYearLabel(365)).toBe('31 Dec');
		expect(dayOfYearLabel(366)).toBe('31 Dec');
		expect(dayOfYearLabel(null)).toBe('–');
	});

	it('projects to Web Mercator', () => {
		const origin = toWebMercator(0, 0);
		expect(origin.x).toBe(0);
		expect(origin.y).toBeCloseTo(0, 6);
		const p = toWebMercator(180, 85.0511287798);
		expect(p.x).toBeCloseTo(20037508.34, 1);
		expect(p.y).toBeCloseTo(20037508.34, 0);
	});

	it('interpolates colour ramps', () => {
		expect(ramp(BUILDING_RAMP, 0)).toEqual(BUILDING_RAMP[0]);
		expect(ramp(BUILDING_RAMP, 1)).toEqual(BUILDING_RAMP[3]);
		expect(ramp(BUILDING_RAMP, 2)).toEqual(BUILDING_RAMP[3]);
	});

	it('gives WGS84 metres per degree, and turns Web Mercator back into degrees', () => {
		// PROJ's figures for the ellipsoid: 110,574 m per degree of latitude at the
		// equator, 111,132 at 45°; 111,320 of longitude at the equator, 78,847 at 45°.
		expect(metresPerDegree(0).lat).toBeCloseTo(110_574.3, 0);
		expect(metresPerDegree(45).lat).toBeCloseTo(111_131.8, 0);
		expect(metresPerDegree(0).lng).toBeCloseTo(111_319.5, 0);
		expect(metresPerDegree(45).lng).toBeCloseTo(78_846.8, 0);
		expect(metresPerDegree(60).lng).toBeCloseTo(55_800, -1);
		const there = toWebMercator(-122.6765, 45.523);
		const back = fromWebMercator(there.x, there.y);
		expect(back.lng).toBeCloseTo(-122.6765, 10);
		expect(back.lat).toBeCloseTo(45.523, 10);
	});

	it('tells whether a point is inside a footprint, holes left out', () => {
		const outline = [
			[0, 0],
			[10, 0],
			[10, 10],
			[0, 10],
			[0, 0]
		];
		const hole = [
			[4, 4],
			[6, 4],
			[6, 6],
			[4, 6],
			[4, 4]
		];
		expect(insidePolygon(2, 2, [outline])).toBe(true);
		expect(insidePolygon(11, 2, [outline])).toBe(false);
		expect(insidePolygon(5, 5, [outline])).toBe(true);
		expect(insidePolygon(5, 5, [outline, hole])).toBe(false);
		expect(insidePolygon(3, 5, [outline, hole])).toBe(true);
	});
});
