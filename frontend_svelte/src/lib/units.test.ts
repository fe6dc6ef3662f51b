import { describe, expect, it } from 'vitest';
import { formatLength, formatTemperature, frostLine, length, temperature, unitsOf } from './units';

describe('units', () => {
	it('converts temperatures by the textbook formula', () => {
		expect(temperature(0, 'imperial')).toBe(32);
		expect(temperature(100, 'imperial')).toBe(212);
		expect(temperature(-40, 'imperial')).toBe(-40);
		expect(temperature(21.5, 'metric')).toBe(21.5);
		expect(formatTemperature(20, 'imperial')).toBe('68.0 °F');
		expect(formatTemperature(null, 'metric')).toBe('–');
		expect(frostLine('imperial')).toBe('32 °F');
	});

	it('converts lengths: a foot is 0.3048 m', () => {
		expect(length(0.3048, 'imperial')).toBeCloseTo(1, 10);
		expect(formatLength(12, 'imperial')).toBe('39 ft');
		expect(formatLength(12, 'metric')).toBe('12 m');
	});

	it('reads the preference, metric unless imperial', () => {
		expect(unitsOf('imperial')).toBe('imperial');
		expect(unitsOf(undefined)).toBe('metric');
		expect(unitsOf('kelvin')).toBe('metric');
	});
});
