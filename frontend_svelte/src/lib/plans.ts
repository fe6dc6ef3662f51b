/** What the plans list says about each plan at a glance, in words for people. */
import type { DataStatus, Model, Plan } from '$lib/api/client';
import { dayOfYearLabel, formatLatLng } from '$lib/geo';

export type LastSpringFrost = Model<'LastSpringFrost'>;

export interface Readiness {
	/** "ready", "fetching", "missing", "stale" or "unknown", for styling. */
	tone: string;
	text: string;
}

/** Whether the plan's data is in the cache (from its `data_status`). */
export function readiness(status: DataStatus | undefined): Readiness {
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

export interface Fact {
	label: string;
	value: string;
}

/**
 * The facts a plan shows in the list, in order. Each comes from the plan's
 * `facts` (data the server has cached for its place); a new fact (the site's
 * light category, say) is one more entry here.
 */
export function planFacts(plan: Plan): Fact[] {
	return [
		{ label: 'Last spring frost', value: lastSpringFrostText(plan.facts?.last_spring_frost) }
	];
}
