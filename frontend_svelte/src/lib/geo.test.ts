import { describe, expect, it } from 'vitest';
import { dayOfYearLabel, localMetres, ramp, toWebMercator, BUILDING_RAMP } from './geo';

describe('geo helpers', () => {
	it('labels days of the year', () => {
		expect(dayOfYearLabel(1)).toBe('1 Jan');
		expect(dayOfYearLabel(102)).toBe('12 Apr');
		expect(dayOfYearLabel(365)).toBe('31 Dec');
		expect(dayOfYearLabel(366)).toBe('31 Dec');
		expect(dayOfYearLabel(null)).toBe('–');
	});

	it('measures local metres east and north', () => {
		const origin = { lat: 0, lng: 0 };
		const east = localMetres(0.001, 0, origin);
		expect(east.x).toBeCloseTo(111.32, 1);
		expect(east.y).toBe(0);
		const north = localMetres(0, 0.001, origin);
		expect(north.y).toBeCloseTo(110.57, 1);
		// A degree of longitude shrinks with latitude.
		expect(localMetres(13.401, 60, { lat: 60, lng: 13.4 }).x).toBeCloseTo(55.66, 1);
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
});
