import { describe, expect, it } from 'vitest';
import type { Plan } from '$lib/api/client';
import {
	lastSpringFrostText,
	lightText,
	monthSpanText,
	placeText,
	planFacts,
	readiness
} from './plans';

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

	it('says the light of the site in words, over the growing season', () => {
		const north = { category: 'full_sun' as const, hours: 6.8, months: [4, 5, 6, 7, 8, 9] };
		expect(lightText(north)).toBe('Full sun, 6.8 h a day Apr–Sep');
		expect(lightText({ category: 'part_shade', hours: 3, months: [10, 11, 12, 1, 2, 3] })).toBe(
			'Part shade, 3.0 h a day Oct–Mar'
		);
		expect(lightText({ category: 'part_sun', hours: 4.25, months: [6] })).toBe(
			'Part sun, 4.3 h a day Jun'
		);
		expect(lightText({ category: 'shade', hours: 0, months: [] })).toBe('Shade, 0.0 h a day');
		expect(lightText(null)).toBeNull();
		expect(lightText(undefined)).toBeNull();
		expect(monthSpanText([10, 11, 12, 1, 2, 3])).toBe('Oct–Mar');
	});

	it('lists the light fact after the frost, and nothing for it while it is not known', () => {
		const base = {
			id: '1',
			name: 'Bed',
			latitude: 45.5,
			longitude: -122.7,
			facts: { last_spring_frost: null }
		} as unknown as Plan;
		expect(planFacts(base)).toEqual([{ label: 'Last spring frost', value: 'not known yet' }]);
		const lit = {
			...base,
			facts: {
				last_spring_frost: null,
				light: { category: 'full_sun', hours: 6.8, months: [4, 5, 6, 7, 8, 9] }
			}
		} as unknown as Plan;
		expect(planFacts(lit)).toEqual([
			{ label: 'Last spring frost', value: 'not known yet' },
			{ label: 'Light', value: 'Full sun, 6.8 h a day Apr–Sep' }
		]);
		const nulled = { ...base, facts: { last_spring_frost: null, light: null } } as unknown as Plan;
		expect(planFacts(nulled)).toHaveLength(1);
	});
});
