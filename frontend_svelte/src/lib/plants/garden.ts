/**
 * What the garden parts of the plan page share: the API's models for a plan's
 * beds, recommendations, bed sun and planting calendar, changing the plants of
 * one bed, and the calendar's timeline arithmetic (dates to positions in this
 * year, the windows that fall in it). Pure functions, unit-tested.
 */
import { API_PREFIX, api, unwrap, type Model, type Plan } from '$lib/api/client';
import { monthName } from '$lib/geo';
import { LIGHT_LABELS, type LightCategory } from '$lib/data/light';

export type Plant = Model<'Plant'>;
export type PlantKind = Model<'PlantKindEnum'>;
export type Recommendations = Model<'Recommendations'>;
export type BedRecommendations = Model<'BedRecommendations'>;
export type RecommendedPlant = Model<'RecommendedPlant'>;
export type BedsSun = Model<'BedsSun'>;
export type BedSun = Model<'BedSun'>;
export type PlanCalendar = Model<'PlanCalendar'>;
export type CalendarPlant = Model<'CalendarPlant'>;
export type CalendarWindow = Model<'CalendarWindow'>;
export type WindowKind = Model<'CalendarWindowKindEnum'>;
export type BedCollection = NonNullable<Plan['beds']>;
export type Bed = BedCollection['features'][number];

/** The frost risks the calendar offers, with what each means for a gardener. */
export const RISKS = [
	{ value: 10, label: 'Careful', hint: 'frost after these dates one year in ten' },
	{ value: 50, label: 'Typical', hint: 'frost after these dates one year in two' },
	{ value: 90, label: 'Bold', hint: 'frost after these dates nine years in ten' }
] as const;
export type Risk = (typeof RISKS)[number]['value'];
export const DEFAULT_RISK: Risk = 50;

export const KIND_LABELS: Record<PlantKind, string> = {
	vegetable: 'Vegetable',
	herb: 'Herb',
	fruit: 'Fruit',
	flower: 'Flower',
	shrub: 'Shrub',
	tree: 'Tree'
};

/** Window kinds in the order a season runs, with their names in the timeline's legend. */
export const WINDOW_KINDS: { kind: WindowKind; label: string }[] = [
	{ kind: 'start_indoors', label: 'Start indoors' },
	{ kind: 'direct_sow', label: 'Sow outdoors' },
	{ kind: 'transplant', label: 'Plant out' },
	{ kind: 'harvest', label: 'Harvest' },
	{ kind: 'fall_sowing', label: 'Fall sowing' },
	{ kind: 'fall_harvest', label: 'Fall harvest' }
];
export const WINDOW_LABELS = Object.fromEntries(
	WINDOW_KINDS.map(({ kind, label }) => [kind, label])
) as Record<WindowKind, string>;

export function lightLabel(light: string | null | undefined): string {
	return light && light in LIGHT_LABELS ? LIGHT_LABELS[light as LightCategory] : 'Unknown light';
}

/** The URLs of a plan's garden answers (each may answer 202 + a job). */
export function gardenUrls(planId: string, risk: Risk = DEFAULT_RISK) {
	const plan = `${API_PREFIX}/plans/${encodeURIComponent(planId)}`;
	const query = risk === DEFAULT_RISK ? '' : `?risk=${risk}`;
	return {
		recommendations: `${plan}/recommendations/`,
		bedsSun: `${plan}/beds/sun/`,
		calendar: `${plan}/calendar/${query}`,
		ics: `${plan}/calendar.ics${query}`,
		link: `${plan}/calendar/link/`
	};
}

/**
 * The whole catalogue by id (for the names of the plants in the beds): a page
 * of 200 holds it today; further pages are followed, up to 20.
 */
export async function catalogueById(): Promise<ReadonlyMap<number, Plant>> {
	const all = new Map<number, Plant>();
	for (let page = 1; page <= 20; page++) {
		const answer = await unwrap(
			api.GET('/api/v1/plants/', { params: { query: { page_size: 200, page } } })
		);
		for (const plant of answer.results) all.set(plant.id, plant);
		if (!answer.next) break;
	}
	return all;
}

/** The plant ids of a bed (none when the API leaves them out). */
export function bedPlants(bed: Bed): number[] {
	return bed.properties.plants ?? [];
}

/**
 * The plan's beds with one bed's plants changed: `add` puts a plant at the end
 * (once), `remove` takes it out. The other beds, and everything else of the
 * bed, are as they were; the input is not changed.
 */
export function bedsWithPlant(
	beds: BedCollection,
	bedId: string,
	plantId: number,
	change: 'add' | 'remove'
): BedCollection {
	return {
		type: beds.type,
		features: beds.features.map((bed) => {
			if (bed.id !== bedId) return bed;
			const now = bedPlants(bed).filter((id) => id !== plantId);
			if (change === 'add') now.push(plantId);
			return { ...bed, properties: { ...bed.properties, plants: now } };
		})
	};
}

/** "6.4 h" (one decimal), "–" when unknown. */
export function hours(value: number | null | undefined): string {
	return value === null || value === undefined || !Number.isFinite(value)
		? '–'
		: `${value.toFixed(1)} h`;
}

// --- The calendar's timeline -------------------------------------------------

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of an ISO date (YYYY-MM-DD), as a calendar date (no time zone). */
export function dayNumber(iso: string): number {
	const [y, m, d] = iso.split('-').map(Number);
	return Math.round(Date.UTC(y, m - 1, d) / DAY_MS);
}

function isoOfDay(day: number): string {
	return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** "25 Feb" (with the year when it is not `year`: "3 Jan 2028"). */
export function dateLabel(iso: string, year?: number): string {
	const [y, m, d] = iso.split('-').map(Number);
	const short = `${d} ${monthName(m)}`;
	return year === undefined || y === year ? short : `${short} ${y}`;
}

/** "25 Feb – 11 Mar" for a window, the years shown where they are not `year`. */
export function spanLabel(start: string, end: string, year?: number): string {
	return `${dateLabel(start, year)} – ${dateLabel(end, year)}`;
}

/** A year as the timeline lays it out: its first day, its length and its months. */
export function yearTimeline(year: number) {
	const first = dayNumber(`${year}-01-01`);
	const days = dayNumber(`${year + 1}-01-01`) - first;
	const months = Array.from({ length: 12 }, (_, i) => {
		const start = dayNumber(`${year}-${String(i + 1).padStart(2, '0')}-01`) - first;
		const end =
			(i === 11 ? days : dayNumber(`${year}-${String(i + 2).padStart(2, '0')}-01`) - first) - 1;
		return { month: i + 1, start, end };
	});
	return { year, first, days, months };
}

/**
 * Where a date falls in the year, from 0 (its first day's start) to 1 (the end
 * of its last day): a day covers [offset, offset + 1) over the year's days.
 */
export function yearFraction(iso: string, year: number, end = false): number {
	const { first, days } = yearTimeline(year);
	return (dayNumber(iso) - first + (end ? 1 : 0)) / days;
}

/** One window of one plant in the timeline, clipped to the year shown. */
export interface TimelineWindow {
	kind: WindowKind;
	what: string;
	start: string;
	end: string;
	/** Its first and last day within the year (the same as start/end unless clipped). */
	shownStart: string;
	shownEnd: string;
	/** The planting season (spring year) it belongs to. */
	season: number;
}

/**
 * The windows of a plant's seasons that overlap `year` (a window of last
 * season's or next season's can: a harvest into January, starting indoors in
 * December), clipped to it, in date order.
 */
export function windowsInYear(plant: CalendarPlant, year: number): TimelineWindow[] {
	const first = dayNumber(`${year}-01-01`);
	const last = dayNumber(`${year}-12-31`);
	const out: TimelineWindow[] = [];
	for (const season of plant.seasons) {
		for (const w of season.windows) {
			const start = dayNumber(w.start);
			const end = dayNumber(w.end);
			if (end < first || start > last) continue;
			out.push({
				kind: w.kind,
				what: w.what,
				start: w.start,
				end: w.end,
				shownStart: isoOfDay(Math.max(start, first)),
				shownEnd: isoOfDay(Math.min(end, last)),
				season: season.year
			});
		}
	}
	return out.sort(
		(a, b) => dayNumber(a.start) - dayNumber(b.start) || a.kind.localeCompare(b.kind)
	);
}

/** The kinds of window a plant has in the year, in season order (the timeline's rows). */
export function kindsInYear(windows: TimelineWindow[]): WindowKind[] {
	return WINDOW_KINDS.map((k) => k.kind).filter((kind) => windows.some((w) => w.kind === kind));
}
