import { describe, expect, it } from 'vitest';
import { parseCoordinates } from './coordinates';

// 45°31′N 122°41′W worked out by hand: 45 + 31/60 = 45.516667, 122 + 41/60 = 122.683333.
const PORTLAND_DMS = { ok: true, lat: 45.5166667, lng: -122.6833333 };

describe('parseCoordinates', () => {
	it.each([
		['45.52, -122.68'],
		['45.52,-122.68'],
		['45.52 -122.68'],
		['  45.52 ,  -122.68  '],
		['45,52; -122,68'],
		['45,52 -122,68'],
		['45.52 N 122.68 W'],
		['45.52N, 122.68W'],
		['45.52° N, 122.68° W'],
		['N 45.52 W 122.68'],
		['122.68 W 45.52 N'],
		['45.52 −122.68'] // a typographic minus
	])('reads %s as 45.52, -122.68', (text) => {
		expect(parseCoordinates(text)).toEqual({ ok: true, lat: 45.52, lng: -122.68 });
	});

	it.each([
		['45°31′N 122°41′W'],
		["45°31'N 122°41'W"],
		['45°31’N, 122°41’W'],
		['45° 31′ N, 122° 41′ W'],
		['N 45°31′ W 122°41′'],
		['45°31 N 122°41 W']
	])('reads degrees and minutes: %s', (text) => {
		expect(parseCoordinates(text)).toEqual(PORTLAND_DMS);
	});

	it('reads seconds and decimal minutes', () => {
		// 33°52′4″S = -(33 + 52/60 + 4/3600) = -33.8677778; 151°12′36″E = 151.21
		expect(parseCoordinates('33°52′4″S 151°12′36″E')).toEqual({
			ok: true,
			lat: -33.8677778,
			lng: 151.21
		});
		expect(parseCoordinates(`33°52'4"S, 151°12'36"E`)).toMatchObject({ lat: -33.8677778 });
		expect(parseCoordinates("45° 31.2' N 122° 40.8' W")).toEqual({
			ok: true,
			lat: 45.52,
			lng: -122.68
		});
	});

	it('takes the southern and western hemispheres as negative', () => {
		expect(parseCoordinates('1.29 N 103.85 E')).toEqual({ ok: true, lat: 1.29, lng: 103.85 });
		expect(parseCoordinates('33.87 S 151.21 E')).toEqual({ ok: true, lat: -33.87, lng: 151.21 });
		expect(parseCoordinates('0, 0')).toEqual({ ok: true, lat: 0, lng: 0 });
		expect(parseCoordinates('-90, 180')).toEqual({ ok: true, lat: -90, lng: 180 });
	});

	it.each([
		['', /Enter the coordinates/],
		['45.52', /two coordinates/],
		['45.52, -122.68, 10', /two coordinates/],
		['Portland', /do not look like coordinates/],
		['91, 10', /latitude must be between 90° S and 90° N/],
		['45, 181', /longitude must be between 180° W and 180° E/],
		['45 N 46 S', /one latitude \(N or S\) and one longitude/],
		['-45 N 122 W', /minus sign or N, S, E or W, not both/],
		['45°61′N 122°41′W', /Minutes go from 0 to 59/],
		['45°31′70″N 122°41′W', /Seconds go from 0 to 59/],
		['45.5°31′N 122°41′W', /whole degrees/]
	])('explains what is wrong with %j', (text, message) => {
		const result = parseCoordinates(text);
		expect(result.ok).toBe(false);
		if (!result.ok) expect(result.message).toMatch(message);
	});
});
