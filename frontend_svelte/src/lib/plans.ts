/** What the plans list says about each plan at a glance, in words for people. */
import type { DataStatus, Model, Plan } from '$lib/api/client';
import { dayOfYearLabel, formatLatLng, monthName } from '$lib/geo';
import { LIGHT_LABELS } from '$lib/data/light';

export type LastSpringFrost = Model<'LastSpringFrost'>;

export interface Readiness {
	/** "ready", "fetching", "missing", "stale" or "unknown", for styling. */
	tone: string;
	text: string;
}

/** Whether the plan's data is in the cache (from its `data_status`: one state per kind, whichever kinds the server has). */
export function readiness(status: Partial<DataStatus> | undefined): Readiness {
	const states = Object.values(status ?? {})
		.filter((kind): kind is NonNullable<typeof kind> => Boolean(kind))
		.map((kind) => kind.state);
	if (states.length === 0 || states.includes('unknown')) {
		return { tone: 'unknown', text: 'Data status not known right now' };
	}
	if (states.includes('fetching')) return { tone: 'fetching', text: 'Fetching its data…' };
	if (states.includes('missing')) return { tone: 'missing', text: 'Data not fetched yet' };
	if (states.includes('stale')) return { tone: 'stale', text: 'Data ready, being refreshed' };
	return { tone: 'ready', text: 'Data ready' };
}

/** The last spring frost as a gardener would say it. */
export function lastSpringFrostText(frost: LastSpringFrost | null | undefined): string {
	if (!frost) return 'not known yet';
	if (frost.median === null) {
		return frost.years_without_frost >= frost.years
			? `none: no frost in ${frost.years} years`
			: 'usually none';
	}
	return `around ${dayOfYearLabel(frost.median)}`;
}

/** Where the plan is: its place's name, else its coordinates. */
export function placeText(plan: Pick<Plan, 'address' | 'latitude' | 'longitude'>): string {
	return plan.address?.trim() || formatLatLng(plan.latitude, plan.longitude);
}

/**
 * The site's light over the growing season (`plan.facts.light`): its
 * category, the mean hours of direct sun a day on the ground, and the months.
 */
export type LightFact = Model<'LightFact'>;

/** "Apr–Sep" for [4, 5, 6, 7, 8, 9], "Oct–Mar" for [10, 11, 12, 1, 2, 3]. */
export function monthSpanText(months: readonly number[]): string {
	if (months.length === 0) return '';
	const first = monthName(months[0]);
	const last = monthName(months[months.length - 1]);
	return months.length === 1 ? first : `${first}–${last}`;
}

/** "Full sun, 6.8 h a day Apr–Sep"; null when the plan's light is not known yet. */
export function lightText(light: LightFact | null | undefined): string | null {
	if (!light || !(light.category in LIGHT_LABELS) || !Number.isFinite(light.hours)) return null;
	const span = monthSpanText(light.months ?? []);
	return `${LIGHT_LABELS[light.category]}, ${light.hours.toFixed(1)} h a day${span ? ` ${span}` : ''}`;
}

export interface Fact {
	label: string;
	value: string;
}

/**
 * The facts a plan shows in the list, in order. Each comes from the plan's
 * `facts` (data the server has cached for its place): the last spring frost
 * always (it says "not known yet" while missing), the site's light once the
 * sun has been worked out (nothing before).
 */
export function planFacts(plan: Pick<Plan, 'facts'>): Fact[] {
	const facts: Fact[] = [
		{ label: 'Last spring frost', value: lastSpringFrostText(plan.facts?.last_spring_frost) }
	];
	const light = lightText(plan.facts?.light);
	if (light) facts.push({ label: 'Light', value: light });
	return facts;
}
