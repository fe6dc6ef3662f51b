import { describe, expect, it } from 'vitest';
import { parseLocation } from './location';

describe('parseLocation', () => {
	it('accepts numbers in range, with a decimal comma too', () => {
		expect(parseLocation('52.52', '13,405')).toEqual({ ok: true, lat: 52.52, lng: 13.405 });
		expect(parseLocation('-90', '180')).toEqual({ ok: true, lat: -90, lng: 180 });
	});

	it('names each bad field', () => {
		expect(parseLocation('91', 'east')).toEqual({
			ok: false,
			fields: {
				latitude: ['Enter a latitude between -90 and 90.'],
				longitude: ['Enter a longitude between -180 and 180.']
			}
		});
		expect(parseLocation('', '0')).toMatchObject({
			ok: false,
			fields: { latitude: expect.any(Array) }
		});
	});
});
