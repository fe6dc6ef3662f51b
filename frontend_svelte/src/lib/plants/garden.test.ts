import { describe, expect, it } from 'vitest';
import {
	bedsWithPlant,
	dateLabel,
	gardenUrls,
	kindsInYear,
	spanLabel,
	windowsInYear,
	yearFraction,
	yearTimeline,
	type BedCollection,
	type CalendarPlant
} from './garden';

const square = {
	type: 'Polygon' as const,
	coordinates: [
		[
			[0, 0],
			[0, 1],
			[1, 1],
			[0, 0]
		]
	]
};
const beds: BedCollection = {
	type: 'FeatureCollection',
	features: [
		{ type: 'Feature', id: 'a', geometry: square, properties: { name: 'Sunny', plants: [3] } },
		{ type: 'Feature', id: 'b', geometry: square, properties: { name: 'Shady' } }
	]
};

describe("a bed's plants", () => {
	it('adds a plant to one bed, once, leaving the others and the input alone', () => {
		const added = bedsWithPlant(beds, 'b', 7, 'add');
		expect(added.features.map((f) => f.properties.plants)).toEqual([[3], [7]]);
		expect(added.features[0]).toBe(beds.features[0]);
		expect(added.features[1].geometry).toBe(square);
		expect(added.features[1].properties.name).toBe('Shady');
		expect(beds.features[1].properties.plants).toBeUndefined();
		expect(bedsWithPlant(added, 'b', 7, 'add').features[1].properties.plants).toEqual([7]);
	});

	it('removes a plant from one bed', () => {
		const both = bedsWithPlant(beds, 'a', 9, 'add');
		expect(both.features[0].properties.plants).toEqual([3, 9]);
		expect(bedsWithPlant(both, 'a', 3, 'remove').features[0].properties.plants).toEqual([9]);
		expect(bedsWithPlant(beds, 'b', 3, 'remove').features[1].properties.plants).toEqual([]);
	});
});

describe('garden URLs', () => {
	it('asks the default risk without a query', () => {
		const urls = gardenUrls('p-1');
		expect(urls.calendar).toBe('/api/v1/plans/p-1/calendar/');
		expect(urls.ics).toBe('/api/v1/plans/p-1/calendar.ics');
		expect(gardenUrls('p-1', 10).calendar).toBe('/api/v1/plans/p-1/calendar/?risk=10');
		expect(gardenUrls('p-1', 90).ics).toBe('/api/v1/plans/p-1/calendar.ics?risk=90');
	});
});

describe('the timeline of a year', () => {
	it('lays out the months of a common and a leap year', () => {
		const common = yearTimeline(2026);
		expect(common.days).toBe(365);
		expect(common.months.map((m) => m.end - m.start + 1)).toEqual([
			31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
		]);
		expect(common.months[2].start).toBe(59); // 1 March: 31 + 28 days in
		const leap = yearTimeline(2028);
		expect(leap.days).toBe(366);
		expect(leap.months[1].end - leap.months[1].start + 1).toBe(29);
		expect(leap.months[11].end).toBe(365);
	});

	it('places a day by its start, or its end', () => {
		expect(yearFraction('2026-01-01', 2026)).toBe(0);
		expect(yearFraction('2026-12-31', 2026, true)).toBe(1);
		expect(yearFraction('2026-07-02', 2026)).toBeCloseTo(182 / 365, 12);
		expect(yearFraction('2026-07-02', 2026, true)).toBeCloseTo(183 / 365, 12);
	});

	it('labels dates, with the year only when it is another', () => {
		expect(dateLabel('2026-02-25', 2026)).toBe('25 Feb');
		expect(dateLabel('2027-01-03', 2026)).toBe('3 Jan 2027');
		expect(spanLabel('2025-12-20', '2026-01-03', 2026)).toBe('20 Dec 2025 – 3 Jan');
	});
});

describe("a plant's windows in the year shown", () => {
	const window = (kind: string, start: string, end: string) =>
		({
			kind,
			what: kind.replace('_', ' '),
			start,
			end
		}) as CalendarPlant['seasons'][0]['windows'][0];
	const season = (year: number, windows: ReturnType<typeof window>[]) => ({
		year,
		last_spring_frost: `${year}-04-15`,
		first_fall_frost: `${year}-10-15`,
		no_spring_frost: false,
		no_fall_frost: false,
		notes: [],
		windows
	});
	const kale: CalendarPlant = {
		id: 5,
		common_name: 'Kale',
		botanical_name: 'Brassica oleracea',
		beds: [{ id: 'a', name: 'Sunny' }],
		seasons: [
			season(2026, [
				window('start_indoors', '2026-02-25', '2026-03-11'),
				window('transplant', '2026-04-01', '2026-04-15'),
				window('harvest', '2026-05-20', '2026-07-01'),
				window('fall_sowing', '2026-07-20', '2026-08-03'),
				window('fall_harvest', '2026-10-01', '2027-01-10')
			]),
			season(2027, [
				window('start_indoors', '2026-12-28', '2027-01-11'),
				window('transplant', '2027-04-01', '2027-04-15')
			])
		]
	};

	it("keeps this year's windows and the parts of others' that fall in it, clipped, by date", () => {
		const shown = windowsInYear(kale, 2026);
		expect(shown.map((w) => [w.kind, w.season, w.shownStart, w.shownEnd])).toEqual([
			['start_indoors', 2026, '2026-02-25', '2026-03-11'],
			['transplant', 2026, '2026-04-01', '2026-04-15'],
			['harvest', 2026, '2026-05-20', '2026-07-01'],
			['fall_sowing', 2026, '2026-07-20', '2026-08-03'],
			['fall_harvest', 2026, '2026-10-01', '2026-12-31'],
			['start_indoors', 2027, '2026-12-28', '2026-12-31']
		]);
		expect(shown[4].end).toBe('2027-01-10'); // the real end stays known
		expect(kindsInYear(shown)).toEqual([
			'start_indoors',
			'transplant',
			'harvest',
			'fall_sowing',
			'fall_harvest'
		]);
	});

	it('shows next year only what overlaps it', () => {
		expect(windowsInYear(kale, 2027).map((w) => [w.kind, w.shownStart, w.shownEnd])).toEqual([
			['fall_harvest', '2027-01-01', '2027-01-10'],
			['start_indoors', '2027-01-01', '2027-01-11'],
			['transplant', '2027-04-01', '2027-04-15']
		]);
	});
});
