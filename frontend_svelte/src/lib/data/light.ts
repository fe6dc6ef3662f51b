/**
 * The light categories of docs/sun.md (hours of direct sun per day): full sun
 * 6 h or more, part sun 4 to 6, part shade 2 to 4, shade under 2. A value on a
 * boundary belongs to the sunnier category, as the server counts it.
 */

export type LightCategory = 'full_sun' | 'part_sun' | 'part_shade' | 'shade';

/** Sunniest first, each with the least hours it takes. */
export const LIGHT_CATEGORIES: { id: LightCategory; lowest: number }[] = [
	{ id: 'full_sun', lowest: 6 },
	{ id: 'part_sun', lowest: 4 },
	{ id: 'part_shade', lowest: 2 },
	{ id: 'shade', lowest: 0 }
];

export const LIGHT_LABELS: Record<LightCategory, string> = {
	full_sun: 'Full sun',
	part_sun: 'Part sun',
	part_shade: 'Part shade',
	shade: 'Shade'
};

/** The hours each category stands for, for legends. */
export const LIGHT_RANGES: Record<LightCategory, string> = {
	full_sun: '6 h or more',
	part_sun: '4–6 h',
	part_shade: '2–4 h',
	shade: 'under 2 h'
};

/** The category of a number of hours (compared in tenths, as they are stored). */
export function lightCategory(hours: number): LightCategory {
	const tenths = Math.round(hours * 10);
	for (const { id, lowest } of LIGHT_CATEGORIES) {
		if (tenths >= lowest * 10) return id;
	}
	return 'shade';
}

/** One colour per category: warm yellow for full sun to deep blue-grey for shade. */
export const LIGHT_COLOURS: Record<LightCategory, [number, number, number]> = {
	full_sun: [255, 214, 51],
	part_sun: [240, 120, 40],
	part_shade: [130, 105, 180],
	shade: [40, 48, 90]
};
