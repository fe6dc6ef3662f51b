/**
 * Words for a job that waits (DataPanel): what is wrong, and when the server
 * tries again. The server's `last_error.message` is already a sentence for a
 * person; without one, `waiting_for` says what the job waits for.
 */
import type { ResourceWaiting } from './resource.svelte';

const BY_REASON: Record<NonNullable<ResourceWaiting['waitingFor']>, string> = {
	upstream_down: 'The data source is not answering right now.',
	budget: 'We have used up our allowance of requests to the data source for now.',
	worker: 'All our workers are busy; yours is next in line.'
};

/** The sentence saying why the data is not here yet. */
export function waitingText(waiting: ResourceWaiting): string {
	if (waiting.message) return waiting.message;
	if (waiting.waitingFor) return BY_REASON[waiting.waitingFor];
	return '';
}

/** "Trying again in 42 s." / "in 3 min 5 s." / "Trying again now…" for a retry at `retryAt` (ms). */
export function countdown(retryAt: number, now: number = Date.now()): string {
	const seconds = Math.ceil((retryAt - now) / 1000);
	if (seconds <= 0) return 'Trying again now…';
	if (seconds < 60) return `Trying again in ${seconds} s.`;
	const minutes = Math.floor(seconds / 60);
	const rest = seconds % 60;
	return rest ? `Trying again in ${minutes} min ${rest} s.` : `Trying again in ${minutes} min.`;
}
