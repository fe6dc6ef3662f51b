import { describe, expect, it } from 'vitest';
import { lastSpringFrostText, placeText, readiness } from './plans';

const state = (s: 'fresh' | 'stale' | 'missing' | 'fetching' | 'unknown') => ({
	state: s,
	job_id: null
});

describe('plans at a glance', () => {
	it('says whether the data is ready', () => {
		expect(readiness({ climate: state('fresh'), buildings: state('fresh') }).text).toBe(
			'Data ready'
		);
		expect(readiness({ climate: state('fetching'), buildings: state('missing') }).tone).toBe(
			'fetching'
		);
		expect(readiness({ climate: state('missing'), buildings: state('fresh') }).tone).toBe(
			'missing'
		);
		expect(readiness({ climate: state('stale'), buildings: state('fresh') }).tone).toBe('stale');
		expect(readiness({ climate: state('unknown'), buildings: state('fresh') }).tone).toBe(
			'unknown'
		);
	});

	it('phrases the last spring frost for people', () => {
		const frost = {
			median: 102,
			median_date: '04-12',
			p10: 90,
			p90: 115,
			years_without_frost: 0,
			years: 30
		};
		expect(lastSpringFrostText(frost)).toBe('around 12 Apr');
		expect(lastSpringFrostText({ ...frost, median: null, years_without_frost: 30 })).toBe(
			'none: no frost in 30 years'
		);
		expect(lastSpringFrostText({ ...frost, median: null, years_without_frost: 20 })).toBe(
			'usually none'
		);
		expect(lastSpringFrostText(null)).toBe('not known yet');
	});

	it('names the place, or gives its coordinates', () => {
		expect(placeText({ address: 'Portland, Oregon', latitude: 45.5, longitude: -122.7 })).toBe(
			'Portland, Oregon'
		);
		expect(placeText({ address: '', latitude: 45.5, longitude: -122.7 })).toBe(
			'45.5000° N, 122.7000° W'
		);
	});
});
