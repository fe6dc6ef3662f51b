import { readFileSync } from 'node:fs';
import { writeArrayBuffer } from 'geotiff';
import { describe, expect, it } from 'vitest';
import { lightCategory } from './light';
import {
	decodeSun,
	defaultSunMonth,
	sunCellAt,
	sunCellCentre,
	sunColour,
	sunHoursAt,
	sunSummaryText,
	type SunSummary
} from './sun';
import { MONTH_DAYS, periodRgba } from '$lib/beds/period';

/** A 3x2 12-band GeoTIFF in EPSG:4326 (pixel-interleaved uint8 tenths), cells of 0.001°. */
function sampleTiff(): ArrayBuffer {
	const values = new Uint8Array(3 * 2 * 12);
	for (let cell = 0; cell < 6; cell++) {
		for (let m = 0; m < 12; m++) values[cell * 12 + m] = cell * 20 + m;
	}
	values[4 * 12 + 6] = 255; // July at cell 4: no data
	return writeArrayBuffer(values, {
		width: 3,
		height: 2,
		BitsPerSample: Array(12).fill(8),
		SampleFormat: Array(12).fill(1),
		ModelPixelScale: [0.001, 0.001, 0],
		ModelTiepoint: [0, 0, 0, 10, 50, 0],
		GeographicTypeGeoKey: 4326,
		GDAL_NODATA: '255'
	}) as ArrayBuffer;
}

// Made by the server's own encoder (rasterio, deflate + predictor), with
// what the server's sun_point_read reads at a few spots: fixtures/sun-portland.py.
const fixtureDir = new URL('./fixtures/', import.meta.url);
const portland = () => {
	const bytes = readFileSync(new URL('sun-portland.tif', fixtureDir));
	return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
};
const expected = JSON.parse(readFileSync(new URL('sun-portland.json', fixtureDir), 'utf8')) as {
	bounds: [number, number, number, number];
	points: { lat: number; lng: number; hours: (number | null)[] | null }[];
};

describe('sun raster', () => {
	it('decodes twelve months per spot, with the box, cell size and nodata', async () => {
		const raster = await decodeSun(sampleTiff());
		expect([raster.width, raster.height, raster.nodata]).toEqual([3, 2, 255]);
		expect(raster.bbox[0]).toBeCloseTo(10);
		expect(raster.bbox[3]).toBeCloseTo(50);
		expect(raster.bbox[2]).toBeCloseTo(10.003);
		expect(raster.bbox[1]).toBeCloseTo(49.998);
		expect(sunHoursAt(raster, 0, 1)).toEqual([
			2, 2.1, 2.2, 2.3, 2.4, 2.5, 2.6, 2.7, 2.8, 2.9, 3, 3.1
		]);
		expect(sunHoursAt(raster, 1, 1)[6]).toBeNull();
		expect(sunHoursAt(raster, 1, 1)[5]).toBe(8.5);
	});

	it('finds the cell of a point as the server does, and nothing outside', async () => {
		const raster = await decodeSun(sampleTiff());
		expect(sunCellAt(raster, 49.9995, 10.0025)).toEqual({ row: 0, col: 2 });
		expect(sunCellAt(raster, 49.9985, 10.0001)).toEqual({ row: 1, col: 0 });
		expect(sunCellAt(raster, 50.0001, 10.001)).toBeNull();
		expect(sunCellAt(raster, 49.999, 10.0031)).toBeNull();
		const centre = sunCellCentre(raster, 1, 2);
		expect(centre.lat).toBeCloseTo(49.9985, 9);
		expect(centre.lng).toBeCloseTo(10.0025, 9);
	});

	it('reads the server’s own GeoTIFF exactly as sun_point_read does', async () => {
		const raster = await decodeSun(portland());
		expect([raster.width, raster.height]).toEqual([100, 100]);
		raster.bbox.forEach((v, i) => expect(v).toBeCloseTo(expected.bounds[i], 9));
		for (const point of expected.points) {
			const cell = sunCellAt(raster, point.lat, point.lng);
			const hours = cell ? sunHoursAt(raster, cell.row, cell.col) : null;
			expect(hours, `${point.lat}, ${point.lng}`).toEqual(point.hours);
		}
		// Every cell centre reads back as its own cell.
		for (const [row, col] of [
			[0, 0],
			[99, 99],
			[37, 61]
		]) {
			const { lat, lng } = sunCellCentre(raster, row, col);
			expect(sunCellAt(raster, lat, lng)).toEqual({ row, col });
		}
	});

	it('paints one month (the period of that month alone): category colours, nodata transparent', async () => {
		const raster = await decodeSun(sampleTiff());
		const month = (m: number) => MONTH_DAYS.map((_, i) => (i + 1 === m ? 1 : 0));
		const july = periodRgba(raster, month(7));
		const pixel = (rgba: Uint8ClampedArray, i: number) => Array.from(rgba.slice(i * 4, i * 4 + 4));
		expect(pixel(july, 4)[3]).toBe(0); // nodata
		expect(pixel(july, 0)).toEqual([...sunColour(6), 255]); // 0.6 h
		expect(pixel(july, 5)).toEqual([...sunColour(106), 255]); // 10.6 h
		expect(pixel(periodRgba(raster, month(1)), 4)).toEqual([...sunColour(80), 255]);
		// Another month paints differently.
		expect(Array.from(periodRgba(raster, month(1)))).not.toEqual(Array.from(july));
	});

	it('colours by light category, sunnier on the boundaries', () => {
		expect(lightCategory(6)).toBe('full_sun');
		expect(lightCategory(5.9)).toBe('part_sun');
		expect(lightCategory(4)).toBe('part_sun');
		expect(lightCategory(3.9)).toBe('part_shade');
		expect(lightCategory(2)).toBe('part_shade');
		expect(lightCategory(1.9)).toBe('shade');
		expect(lightCategory(0)).toBe('shade');
		// Each category has its own hue: the colours either side of a boundary differ clearly.
		const gap = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
		expect(gap(sunColour(59), sunColour(60))).toBeGreaterThan(40);
		expect(gap(sunColour(39), sunColour(40))).toBeGreaterThan(40);
		expect(gap(sunColour(19), sunColour(20))).toBeGreaterThan(40);
	});

	it('opens on this month in the growing season, else the season’s next month', () => {
		const on = (iso: string) => new Date(`${iso}T12:00:00`);
		expect(defaultSunMonth(45, on('2026-06-10'))).toBe(6);
		expect(defaultSunMonth(45, on('2026-12-02'))).toBe(4);
		expect(defaultSunMonth(45, on('2026-03-31'))).toBe(4);
		expect(defaultSunMonth(-33, on('2026-12-02'))).toBe(12);
		expect(defaultSunMonth(-33, on('2026-06-10'))).toBe(10);
		expect(defaultSunMonth(-33, on('2026-02-10'))).toBe(2);
	});

	it('says the map in words from the summary', () => {
		const summary = {
			site: { latitude: 45.523, longitude: -122.6765, unit: 'sun:45.5230:-122.6765' },
			months: [
				{
					month: 6,
					daylight_hours: 14.5,
					mean: 6.14,
					min: 0,
					max: 14.5,
					light: { full_sun: 0.6238, part_sun: 0.2, part_shade: 0.1, shade: 0.0762 }
				},
				{
					month: 7,
					daylight_hours: 14,
					mean: null,
					min: null,
					max: null,
					light: { full_sun: null, part_sun: null, part_shade: null, shade: null }
				}
			]
		} as unknown as SunSummary;
		expect(sunSummaryText(summary, 6)).toBe(
			'In June, 62 % of the ground gets full sun, 20 % part sun, 10 % part shade and 8 % shade; ' +
				'6.1 hours of direct sun a day on average (open ground: 14.5 h).'
		);
		expect(sunSummaryText(summary, 7)).toBe(
			'In July there is no open ground in this square to measure.'
		);
	});
});
