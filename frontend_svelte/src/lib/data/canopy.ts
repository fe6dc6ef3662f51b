/** Decoding the canopy GeoTIFF and turning heights into an RGBA colour map. */
import { fromArrayBuffer } from 'geotiff';
import { CANOPY_RAMP, ramp, toWebMercator } from '$lib/geo';

export interface CanopyRaster {
	width: number;
	height: number;
	/** Heights in metres, row by row from the north-west corner. */
	values: Uint8Array;
	nodata: number;
	/** [minX, minY, maxX, maxY] in EPSG:3857 metres. */
	bbox: [number, number, number, number];
}

export interface CanopyStats {
	max: number;
	mean: number;
	/** Share of valid pixels with trees (height >= 2 m), 0-1. */
	cover: number;
	valid: number;
}

export async function decodeCanopy(buffer: ArrayBuffer): Promise<CanopyRaster> {
	const tiff = await fromArrayBuffer(buffer);
	const image = await tiff.getImage();
	const [band] = (await image.readRasters({ interleave: false })) as unknown as ArrayLike<number>[];
	const nodataTag = image.getGDALNoData();
	const values = band instanceof Uint8Array ? band : Uint8Array.from(band);
	return {
		width: image.getWidth(),
		height: image.getHeight(),
		values,
		nodata: nodataTag ?? 255,
		bbox: image.getBoundingBox() as [number, number, number, number]
	};
}

export const TREE_MIN_HEIGHT = 2;

export function canopyStats(raster: CanopyRaster): CanopyStats {
	let max = 0;
	let sum = 0;
	let valid = 0;
	let trees = 0;
	for (const v of raster.values) {
		if (v === raster.nodata) continue;
		valid++;
		sum += v;
		if (v > max) max = v;
		if (v >= TREE_MIN_HEIGHT) trees++;
	}
	return { max, mean: valid ? sum / valid : 0, cover: valid ? trees / valid : 0, valid };
}

/**
 * RGBA pixels of the trees alone, for laying over another map: crowns (2 m
 * and taller) on the green ramp, see-through (`alpha`), everything else clear.
 */
export function canopyOverlayRgba(
	raster: CanopyRaster,
	scaleMax: number,
	alpha = 170
): Uint8ClampedArray<ArrayBuffer> {
	const out = new Uint8ClampedArray(raster.width * raster.height * 4);
	const top = Math.max(1, scaleMax);
	raster.values.forEach((v, i) => {
		if (v === raster.nodata || v < TREE_MIN_HEIGHT) return;
		const [r, g, b] = ramp(CANOPY_RAMP, v / top);
		out.set([r, g, b, alpha], i * 4);
	});
	return out;
}

/**
 * Which cells of a grid in degrees (origin at its north-west corner, `resY`
 * negative) lie under a tree crown: 1 where the canopy pixel under the cell's
 * centre is 2 m or taller, 0 elsewhere (and outside the canopy window).
 */
export function crownMask(
	canopy: CanopyRaster,
	grid: {
		width: number;
		height: number;
		originX: number;
		originY: number;
		resX: number;
		resY: number;
	}
): Uint8Array {
	const mask = new Uint8Array(grid.width * grid.height);
	const [minX, minY, maxX, maxY] = canopy.bbox;
	const sx = canopy.width / (maxX - minX);
	const sy = canopy.height / (maxY - minY);
	for (let row = 0; row < grid.height; row++) {
		const lat = grid.originY + (row + 0.5) * grid.resY;
		for (let col = 0; col < grid.width; col++) {
			const { x, y } = toWebMercator(grid.originX + (col + 0.5) * grid.resX, lat);
			const px = Math.floor((x - minX) * sx);
			const py = Math.floor((maxY - y) * sy);
			if (px < 0 || py < 0 || px >= canopy.width || py >= canopy.height) continue;
			const v = canopy.values[py * canopy.width + px];
			if (v !== canopy.nodata && v >= TREE_MIN_HEIGHT) mask[row * grid.width + col] = 1;
		}
	}
	return mask;
}
