/**
 * The one polling helper for every `202 Accepted` the API sends.
 *
 * A data endpoint answers 200 (a cache hit, `X-Cache: HIT` or `STALE`) or 202
 * with a job body, `Location: /api/v1/jobs/{id}/` and `Retry-After: <seconds>`.
 * `fetchWithJob` follows the job: it waits as `Retry-After` says (never longer
 * than `maxDelayMs`); the server's value follows the job's `retry_at` while
 * it waits for a failing upstream or a spent budget, and grows with the job's
 * age otherwise. Without one it waits `defaultDelayMs` at first and longer as
 * the polling goes on (`POLL_SCHEDULE`). It reports every state (with
 * `last_error`, `retry_at`, `waiting_for`) to `onProgress`, fetches `result_url`
 * once the job has succeeded and returns that Response (JSON or binary: the
 * caller decides how to read it). A failed job, an unknown job (404) or an
 * error answer throws; aborting the signal stops polling at once.
 */
import { ApiError, type Job } from './client';

export type CacheState = 'HIT' | 'STALE' | null;

export interface JobResult {
	/** The 200 answer holding the data, body unread. */
	response: Response;
	/** The `X-Cache` header of that answer. */
	cache: CacheState;
	/** The last state of the job that was followed, or null for an immediate hit. */
	job: Job | null;
}

export interface PollOptions {
	/** The fetch to use (the app passes its CSRF-aware wrapper; tests a fake). */
	fetch?: typeof fetch;
	/** Aborting stops polling and rejects with an AbortError. */
	signal?: AbortSignal;
	/** Called with every job state seen, the first one included. */
	onProgress?: (job: Job) => void;
	/** Ceiling on any wait, whatever `Retry-After` asks. Default 60 s. */
	maxDelayMs?: number;
	/** Floor on any wait, so a `Retry-After: 0` does not spin. Default 250 ms. */
	minDelayMs?: number;
	/** First wait when the answer has no usable `Retry-After` (it grows, see POLL_SCHEDULE). Default 1 s. */
	defaultDelayMs?: number;
	/** How many times a result_url may itself answer 202 before giving up. Default 3. */
	maxRestarts?: number;
	/** Headers for the data requests, e.g. `Accept: image/tiff`. */
	headers?: HeadersInit;
}

/** The job ended in `failed`; `job.error` says why. */
export class JobFailedError extends Error {
	readonly job: Job;
	readonly code: string;

	constructor(job: Job) {
		super(job.error?.message ?? 'The data could not be fetched.');
		this.name = 'JobFailedError';
		this.job = job;
		this.code = job.error?.code ?? 'failed';
	}
}

/** The server does not know the job any more (404), e.g. after a restart. */
export class JobNotFoundError extends Error {
	readonly jobUrl: string;

	constructor(jobUrl: string) {
		super('The server lost track of this request. Try again.');
		this.name = 'JobNotFoundError';
		this.jobUrl = jobUrl;
	}
}

/** Seconds (or an HTTP date) from a `Retry-After` header, in milliseconds; null if absent. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
	if (value === null || value.trim() === '') return null;
	const trimmed = value.trim();
	if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
	const date = Date.parse(trimmed);
	if (Number.isNaN(date)) return null;
	return Math.max(0, date - now);
}

/**
 * Waits without a `Retry-After`, as the polling goes on: [polling for less
 * than this many ms, this many times `defaultDelayMs`], first match; then
 * POLL_LONGEST_FACTOR times. (The server's own schedule, docs/api.md.)
 */
export const POLL_SCHEDULE: ReadonlyArray<readonly [number, number]> = [
	[10_000, 1],
	[30_000, 2],
	[120_000, 5]
];
export const POLL_LONGEST_FACTOR = 10;

/** The wait without a `Retry-After`, after polling for `elapsedMs`. */
export function scheduledDelay(elapsedMs: number, defaultDelayMs = 1000): number {
	for (const [upTo, factor] of POLL_SCHEDULE) {
		if (elapsedMs < upTo) return factor * defaultDelayMs;
	}
	return POLL_LONGEST_FACTOR * defaultDelayMs;
}

/**
 * How long to wait before the next poll, within [minDelayMs, maxDelayMs]:
 * what `Retry-After` asks, else the schedule for `elapsedMs` of polling.
 */
export function pollDelay(
	retryAfter: string | null,
	options: Pick<PollOptions, 'maxDelayMs' | 'minDelayMs' | 'defaultDelayMs'> = {},
	elapsedMs = 0
): number {
	const { maxDelayMs = 60_000, minDelayMs = 250, defaultDelayMs = 1000 } = options;
	const asked = parseRetryAfter(retryAfter) ?? scheduledDelay(elapsedMs, defaultDelayMs);
	return Math.min(maxDelayMs, Math.max(minDelayMs, asked));
}

function abortError(): DOMException {
	return new DOMException('Polling stopped', 'AbortError');
}

/** setTimeout as a promise that rejects as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise((resolve, reject) => {
		if (signal?.aborted) {
			reject(abortError());
			return;
		}
		const timer = setTimeout(() => {
			signal?.removeEventListener('abort', onAbort);
			resolve();
		}, ms);
		function onAbort() {
			clearTimeout(timer);
			reject(abortError());
		}
		signal?.addEventListener('abort', onAbort, { once: true });
	});
}

async function readJson(response: Response): Promise<unknown> {
	try {
		return await response.json();
	} catch {
		return null;
	}
}

function cacheState(response: Response): CacheState {
	const value = response.headers.get('X-Cache')?.toUpperCase();
	return value === 'HIT' || value === 'STALE' ? value : null;
}

function resolveUrl(url: string, base: string): string {
	try {
		return new URL(url, base).toString();
	} catch {
		return url;
	}
}

/**
 * GET `url`; on a 202, poll the job until it is done and GET its result.
 * Resolves with the 200 Response; rejects with ApiError (an error answer),
 * JobFailedError, JobNotFoundError, or an AbortError when `signal` aborts.
 */
export async function fetchWithJob(url: string, options: PollOptions = {}): Promise<JobResult> {
	const doFetch = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
	const { signal, onProgress, maxRestarts = 3 } = options;
	const base = typeof location === 'undefined' ? 'http://localhost' : location.href;

	async function get(target: string): Promise<Response> {
		if (signal?.aborted) throw abortError();
		try {
			return await doFetch(target, { method: 'GET', signal, headers: options.headers });
		} catch (err) {
			if (signal?.aborted || (err instanceof DOMException && err.name === 'AbortError')) {
				throw abortError();
			}
			throw ApiError.from(0, null);
		}
	}

	let target = url;
	let lastJob: Job | null = null;
	for (let round = 0; round <= maxRestarts; round++) {
		const response = await get(target);
		if (response.status !== 202) {
			if (!response.ok) throw ApiError.from(response.status, await readJson(response));
			return { response, cache: cacheState(response), job: lastJob };
		}
		// 202: a job is filling the cache. Follow it.
		let job = (await readJson(response)) as Job;
		const location =
			response.headers.get('Location') ?? (job?.id ? `/api/v1/jobs/${job.id}/` : null);
		if (!location)
			throw new ApiError(202, 'no_job', 'The server accepted the request without a job to follow.');
		const jobUrl = resolveUrl(location, resolveUrl(target, base));
		let retryAfter = response.headers.get('Retry-After');
		const pollingSince = Date.now();
		for (;;) {
			lastJob = job;
			onProgress?.(job);
			if (job.status === 'succeeded') break;
			if (job.status === 'failed') throw new JobFailedError(job);
			await sleep(pollDelay(retryAfter, options, Date.now() - pollingSince), signal);
			const poll = await get(jobUrl);
			if (poll.status === 404) throw new JobNotFoundError(jobUrl);
			if (!poll.ok) throw ApiError.from(poll.status, await readJson(poll));
			job = (await readJson(poll)) as Job;
			retryAfter = poll.headers.get('Retry-After');
		}
		target = resolveUrl(job.result_url ?? url, jobUrl);
	}
	throw new ApiError(202, 'not_ready', 'The data is still not ready. Try again in a moment.');
}
