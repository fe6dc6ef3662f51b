import { describe, expect, it } from 'vitest';
import { clockText, compassName, momentIso } from './moment';

describe('a moment on the place clock', () => {
	it('takes the zone offset at that moment, daylight saving included', () => {
		expect(momentIso('2026-06-21', 9 * 60, 'America/Los_Angeles', -122.68)).toBe(
			'2026-06-21T09:00:00-07:00'
		);
		expect(momentIso('2026-12-21', 16 * 60 + 15, 'America/Los_Angeles', -122.68)).toBe(
			'2026-12-21T16:15:00-08:00'
		);
		expect(momentIso('2026-06-21', 12 * 60, 'Europe/Berlin', 13.4)).toBe(
			'2026-06-21T12:00:00+02:00'
		);
	});
	it('falls back on the sun offset (longitude / 15 h) without a zone', () => {
		expect(momentIso('2026-06-21', 12 * 60, null, 30)).toBe('2026-06-21T12:00:00+02:00');
		expect(momentIso('2026-06-21', 0, null, -122.68)).toBe('2026-06-21T00:00:00-08:11');
	});
	it('words', () => {
		expect(clockText(14 * 60 + 15)).toBe('14:15');
		expect(compassName(135)).toBe('south-east');
		expect(compassName(359)).toBe('north');
	});
});
