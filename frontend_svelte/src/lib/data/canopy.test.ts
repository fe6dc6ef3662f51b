import { writeArrayBuffer } from 'geotiff';
import { describe, expect, it } from 'vitest';
import { canopyOverlayRgba, canopyStats, decodeCanopy } from './canopy';

/** A 4x3 uint8 GeoTIFF in EPSG:3857 with 10 m pixels and nodata 255. */
function sampleTiff(): ArrayBuffer {
	const values = new Uint8Array([0, 1, 5, 10, 20, 255, 255, 30, 2, 3, 4, 0]);
	const buffer = writeArrayBuffer(values, {
		width: 4,
		height: 3,
		BitsPerSample: [8],
		SampleFormat: [1],
		ModelPixelScale: [10, 10, 0],
		ModelTiepoint: [0, 0, 0, 1000, 2000, 0],
		GTModelTypeGeoKey: 1,
		GTRasterTypeGeoKey: 1,
		ProjectedCSTypeGeoKey: 3857,
		GDAL_NODATA: '255'
	});
	return buffer as ArrayBuffer;
}

describe('canopy raster', () => {
	it('decodes a uint8 GeoTIFF with its box and nodata', async () => {
		const raster = await decodeCanopy(sampleTiff());
		expect(raster.width).toBe(4);
		expect(raster.height).toBe(3);
		expect(Array.from(raster.values)).toEqual([0, 1, 5, 10, 20, 255, 255, 30, 2, 3, 4, 0]);
		expect(raster.nodata).toBe(255);
		expect(raster.bbox).toEqual([1000, 1970, 1040, 2000]);
	});

	it('summarises heights, ignoring nodata', async () => {
		const stats = canopyStats(await decodeCanopy(sampleTiff()));
		expect(stats.valid).toBe(10);
		expect(stats.max).toBe(30);
		expect(stats.mean).toBeCloseTo(7.5);
		expect(stats.cover).toBeCloseTo(0.7); // 5,10,20,30,2,3,4 are >= 2 m
	});

	it('lays trees over another map: crowns see-through, the rest clear', async () => {
		const raster = await decodeCanopy(sampleTiff());
		const rgba = canopyOverlayRgba(raster, 30, 170);
		const pixel = (i: number) => Array.from(rgba.slice(i * 4, i * 4 + 4));
		expect(pixel(0)[3]).toBe(0); // 0 m: bare ground, clear
		expect(pixel(1)[3]).toBe(0); // 1 m: under the tree height
		expect(pixel(5)[3]).toBe(0); // nodata
		expect(pixel(7)).toEqual([0, 69, 41, 170]); // 30 m
		expect(pixel(8)[3]).toBe(170); // 2 m: a tree
	});
});
