import { describe, expect, it } from 'vitest';
import { metresPerDegree } from '$lib/geo';
import { clampInto, keyAction, moveRing, resizeRing, squareRing } from './beds';

function size(ring: number[][]) {
	const s = metresPerDegree(ring[0][1]);
	const xs = ring.map((p) => p[0]);
	const ys = ring.map((p) => p[1]);
	return [(Math.max(...xs) - Math.min(...xs)) * s.lng, (Math.max(...ys) - Math.min(...ys)) * s.lat];
}

describe('keyboard beds', () => {
	it('a new bed is a closed 4 m square around the point', () => {
		const ring = squareRing(-122.67, 45.52);
		expect(ring).toHaveLength(5);
		expect(ring[4]).toEqual(ring[0]);
		const [w, h] = size(ring);
		expect(w).toBeCloseTo(4, 2);
		expect(h).toBeCloseTo(4, 2);
	});
	it('arrows move it a metre (Ctrl: ten), Shift with them resizes it', () => {
		expect(keyAction('ArrowRight', false)).toEqual({ kind: 'move', east: 1, north: 0 });
		expect(keyAction('ArrowUp', true)).toEqual({ kind: 'resize', east: 0, north: 1 });
		expect(keyAction('a', false)).toBeNull();
		// Ctrl: steps of 10 m, for moves and resizes alike.
		expect(keyAction('ArrowLeft', false, true)).toEqual({ kind: 'move', east: -10, north: 0 });
		expect(keyAction('ArrowDown', true, true)).toEqual({ kind: 'resize', east: 0, north: -10 });
		const ring = squareRing(-122.67, 45.52);
		const moved = moveRing(ring, 3, -2);
		const s = metresPerDegree(45.52);
		expect((moved[0][0] - ring[0][0]) * s.lng).toBeCloseTo(3, 2);
		expect((moved[0][1] - ring[0][1]) * s.lat).toBeCloseTo(-2, 2);
		const [w, h] = size(resizeRing(ring, 2, -1));
		expect(w).toBeCloseTo(6, 2);
		expect(h).toBeCloseTo(3, 2);
		// never below a metre
		expect(size(resizeRing(ring, -10, 0))[0]).toBeCloseTo(1, 2);
	});
	it('a new bed stays inside the sun square', () => {
		const box: [number, number, number, number] = [-122.671, 45.5195, -122.6695, 45.5205];
		const p = clampInto(-122.0, 45.0, box, 3);
		expect(p.lng).toBeGreaterThan(box[0]);
		expect(p.lat).toBeGreaterThan(box[1]);
	});
});
