import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type Job } from './client';
import {
	fetchWithJob,
	JobFailedError,
	JobNotFoundError,
	parseRetryAfter,
	pollDelay,
	scheduledDelay,
	type PollOptions
} from './jobs';

const ORIGIN = 'http://app.test';
const DATA_URL = `${ORIGIN}/api/v1/climate/summary/?lat=52.5&lng=13.4`;
const JOB_URL = `${ORIGIN}/api/v1/jobs/j1/`;
const RESULT_URL = '/api/v1/climate/summary/?lat=52.5&lng=13.4';

function job(status: Job['status'], done = 0, total = 3, extra: Partial<Job> = {}): Job {
	return {
		id: 'j1',
		kind: 'climate',
		status,
		progress: { done, total },
		error: null,
		result_url: RESULT_URL,
		created_at: '2026-11-23T12:00:00Z',
		updated_at: '2026-11-23T12:00:00Z',
		attempts: 0,
		last_error: null,
		retry_at: null,
		waiting_for: null,
		...extra
	};
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
	return new Response(JSON.stringify(body), {
		status,
		headers: { 'Content-Type': 'application/json', ...headers }
	});
}

function accepted(body: Job, retryAfter: string | null = '2'): Response {
	const headers: Record<string, string> = { Location: '/api/v1/jobs/j1/' };
	if (retryAfter !== null) headers['Retry-After'] = retryAfter;
	return json(202, body, headers);
}

/**
 * A fake server: each URL answers from its own queue of responses (the last
 * one repeats). Every call is recorded with the fake clock's time.
 */
function fakeServer(routes: Record<string, Array<() => Response>>) {
	const calls: Array<{ url: string; at: number; signal?: AbortSignal | null }> = [];
	const served: Record<string, number> = {};
	const fetchFn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
		const url = new URL(String(input), ORIGIN).toString();
		calls.push({ url, at: Date.now(), signal: init?.signal });
		if (init?.signal?.aborted) throw new DOMException('aborted', 'AbortError');
		const queue = routes[url];
		if (!queue) return json(404, { error: { code: 'not_found', message: 'Not found.' } });
		const index = Math.min(served[url] ?? 0, queue.length - 1);
		served[url] = (served[url] ?? 0) + 1;
		return queue[index]();
	});
	return { fetch: fetchFn as unknown as typeof fetch, calls };
}

describe('the polling schedule', () => {
	it('waits longer the longer a job takes when the server gives no Retry-After', () => {
		expect(scheduledDelay(0)).toBe(1000);
		expect(scheduledDelay(9_999)).toBe(1000);
		expect(scheduledDelay(10_000)).toBe(2000);
		expect(scheduledDelay(29_999)).toBe(2000);
		expect(scheduledDelay(30_000)).toBe(5000);
		expect(scheduledDelay(120_000)).toBe(10_000);
		expect(scheduledDelay(15_000, 500)).toBe(1000);
		expect(pollDelay(null, {}, 45_000)).toBe(5000);
		expect(pollDelay(null, { maxDelayMs: 3000 }, 45_000)).toBe(3000);
	});

	it("follows the server's Retry-After while the job waits, up to a minute", () => {
		expect(pollDelay('42', {}, 0)).toBe(42_000);
		expect(pollDelay('42', {}, 200_000)).toBe(42_000); // the server's word beats the schedule
		expect(pollDelay('600')).toBe(60_000);
	});
});

describe('parseRetryAfter / pollDelay', () => {
	it('reads seconds and HTTP dates', () => {
		expect(parseRetryAfter('3')).toBe(3000);
		expect(parseRetryAfter('0.5')).toBe(500);
		expect(parseRetryAfter(null)).toBeNull();
		expect(parseRetryAfter('soon')).toBeNull();
		const now = Date.parse('2026-11-23T12:00:00Z');
		expect(parseRetryAfter('Mon, 23 Nov 2026 12:00:04 GMT', now)).toBe(4000);
	});

	it('caps long waits, floors short ones, defaults missing ones', () => {
		expect(pollDelay('120', { maxDelayMs: 5000 })).toBe(5000);
		expect(pollDelay('0', { minDelayMs: 250 })).toBe(250);
		expect(pollDelay(null, { defaultDelayMs: 1500 })).toBe(1500);
		expect(pollDelay('2')).toBe(2000);
	});
});

describe('fetchWithJob', () => {
	beforeEach(() => {
		vi.useFakeTimers();
		vi.setSystemTime(new Date('2026-11-23T12:00:00Z'));
	});
	afterEach(() => {
		vi.useRealTimers();
	});

	async function run(promise: Promise<unknown>, ms = 60_000) {
		// Attach a handler first so a rejection during the timer run is not "unhandled".
		const settled = promise.then(
			(value) => ({ value, error: null }),
			(error: unknown) => ({ value: null, error })
		);
		await vi.advanceTimersByTimeAsync(ms);
		return settled;
	}

	it('polls a waiting job as the server says, not every second', async () => {
		const waiting = (seconds: number) =>
			job('queued', 0, 1, {
				attempts: 2,
				waiting_for: 'upstream_down',
				last_error: { code: 'upstream_unavailable', message: 'Open-Meteo is not answering.' },
				retry_at: new Date(Date.now() + seconds * 1000).toISOString()
			});
		const seen: Job[] = [];
		const server = fakeServer({
			[DATA_URL]: [() => accepted(job('queued', 0, 1), '1'), () => json(200, {})],
			[JOB_URL]: [
				() => json(200, waiting(4), { 'Retry-After': '4' }),
				() => json(200, waiting(8), { 'Retry-After': '8' }),
				() => json(200, waiting(16), { 'Retry-After': '16' }),
				() => json(200, job('succeeded', 1, 1))
			]
		});
		const outcome = await run(
			fetchWithJob(DATA_URL, { fetch: server.fetch, onProgress: (j) => seen.push(j) })
		);
		expect(outcome.error).toBeNull();
		const times = server.calls.map((c) => c.at - server.calls[0].at);
		// 1 s (the 202), then 4, 8 and 16 s as the server asked: 5 polls in 29 s, not 29.
		expect(times).toEqual([0, 1000, 5000, 13000, 29000, 29000]);
		expect(seen.map((j) => j.waiting_for)).toEqual([
			null,
			'upstream_down',
			'upstream_down',
			'upstream_down',
			null
		]);
		expect(seen[1].last_error?.message).toBe('Open-Meteo is not answering.');
	});

	it('returns a cache hit at once, with its X-Cache state', async () => {
		const server = fakeServer({
			[DATA_URL]: [() => json(200, { years: 30 }, { 'X-Cache': 'HIT' })]
		});
		const onProgress = vi.fn();
		const result = await fetchWithJob(DATA_URL, { fetch: server.fetch, onProgress });
		expect(result.cache).toBe('HIT');
		expect(result.job).toBeNull();
		expect(await result.response.json()).toEqual({ years: 30 });
		expect(onProgress).not.toHaveBeenCalled();
		expect(server.calls).toHaveLength(1);
	});

	it('reports a stale answer as STALE', async () => {
		const server = fakeServer({
			[DATA_URL]: [() => json(200, { years: 30 }, { 'X-Cache': 'STALE' })]
		});
		const result = await fetchWithJob(DATA_URL, { fetch: server.fetch });
		expect(result.cache).toBe('STALE');
	});

	it('follows Location, honours Retry-After, reports progress and fetches result_url', async () => {
		const server = fakeServer({
			[DATA_URL]: [
				() => accepted(job('queued', 0, 3), '2'),
				() => json(200, { years: 30 }, { 'X-Cache': 'HIT' })
			],
			[JOB_URL]: [
				() => json(200, job('running', 1, 3), { 'Retry-After': '3' }),
				() => json(200, job('running', 2, 3), { 'Retry-After': '1' }),
				() => json(200, job('succeeded', 3, 3))
			]
		});
		const seen: Array<[string, number, number]> = [];
		const outcome = await run(
			fetchWithJob(DATA_URL, {
				fetch: server.fetch,
				onProgress: (j) => seen.push([j.status, j.progress.done, j.progress.total])
			})
		);
		expect(outcome.error).toBeNull();
		const result = outcome.value as Awaited<ReturnType<typeof fetchWithJob>>;
		expect(await result.response.json()).toEqual({ years: 30 });
		expect(result.job?.status).toBe('succeeded');
		expect(seen).toEqual([
			['queued', 0, 3],
			['running', 1, 3],
			['running', 2, 3],
			['succeeded', 3, 3]
		]);
		const start = server.calls[0].at;
		expect(server.calls.map((c) => [c.url, c.at - start])).toEqual([
			[DATA_URL, 0],
			[JOB_URL, 2000], // Retry-After: 2 from the 202
			[JOB_URL, 5000], // Retry-After: 3 from the first poll
			[JOB_URL, 6000], // Retry-After: 1
			[DATA_URL, 6000] // result_url, resolved against the job URL
		]);
	});

	it('never waits longer than the ceiling, whatever Retry-After says', async () => {
		const server = fakeServer({
			[DATA_URL]: [() => accepted(job('queued'), '600'), () => json(200, {}, { 'X-Cache': 'HIT' })],
			[JOB_URL]: [
				() => json(200, job('running', 1), { 'Retry-After': '3600' }),
				() => json(200, job('succeeded', 3))
			]
		});
		const outcome = await run(fetchWithJob(DATA_URL, { fetch: server.fetch, maxDelayMs: 4000 }));
		expect(outcome.error).toBeNull();
		const times = server.calls.map((c) => c.at - server.calls[0].at);
		expect(times).toEqual([0, 4000, 8000, 8000]);
	});

	it('waits the default delay when Retry-After is missing', async () => {
		const server = fakeServer({
			[DATA_URL]: [() => accepted(job('queued'), null), () => json(200, {})],
			[JOB_URL]: [() => json(200, job('succeeded', 3))]
		});
		await run(fetchWithJob(DATA_URL, { fetch: server.fetch, defaultDelayMs: 1500 }));
		expect(server.calls.map((c) => c.at - server.calls[0].at)).toEqual([0, 1500, 1500]);
	});

	it('returns a binary result untouched', async () => {
		const bytes = new Uint8Array([73, 73, 42, 0, 8, 0, 0, 0]);
		const server = fakeServer({
			[DATA_URL]: [
				() => accepted(job('queued')),
				() => new Response(bytes, { status: 200, headers: { 'Content-Type': 'image/tiff' } })
			],
			[JOB_URL]: [() => json(200, job('succeeded', 1, 1))]
		});
		const outcome = await run(
			fetchWithJob(DATA_URL, { fetch: server.fetch, headers: { Accept: 'image/tiff' } })
		);
		const result = outcome.value as Awaited<ReturnType<typeof fetchWithJob>>;
		expect(result.response.headers.get('Content-Type')).toBe('image/tiff');
		expect(new Uint8Array(await result.response.arrayBuffer())).toEqual(bytes);
	});

	it('rejects with the job error when the job fails, and a retry starts afresh', async () => {
		let upstreamDown = true;
		const server = fakeServer({
			[DATA_URL]: [
				() =>
					upstreamDown ? accepted(job('queued')) : json(200, { years: 30 }, { 'X-Cache': 'HIT' })
			],
			[JOB_URL]: [
				() => json(200, job('running', 1), { 'Retry-After': '1' }),
				() =>
					json(
						200,
						job('failed', 1, 3, {
							error: { code: 'upstream_unavailable', message: 'Open-Meteo answered 503.' }
						})
					)
			]
		});
		const first = await run(fetchWithJob(DATA_URL, { fetch: server.fetch }));
		expect(first.error).toBeInstanceOf(JobFailedError);
		const failure = first.error as JobFailedError;
		expect(failure.code).toBe('upstream_unavailable');
		expect(failure.message).toBe('Open-Meteo answered 503.');
		expect(failure.job.status).toBe('failed');
		// Nothing polls after the failure.
		const callsAfterFailure = server.calls.length;
		await vi.advanceTimersByTimeAsync(30_000);
		expect(server.calls).toHaveLength(callsAfterFailure);

		upstreamDown = false;
		const retry = await fetchWithJob(DATA_URL, { fetch: server.fetch });
		expect(await retry.response.json()).toEqual({ years: 30 });
	});

	it('rejects with JobNotFoundError when the job is unknown (404)', async () => {
		const server = fakeServer({
			[DATA_URL]: [() => accepted(job('queued'))],
			[JOB_URL]: [() => json(404, { error: { code: 'not_found', message: 'No such job.' } })]
		});
		const outcome = await run(fetchWithJob(DATA_URL, { fetch: server.fetch }));
		expect(outcome.error).toBeInstanceOf(JobNotFoundError);
		expect((outcome.error as JobNotFoundError).jobUrl).toBe(JOB_URL);
	});

	it('stops polling when aborted (the page is left)', async () => {
		const server = fakeServer({
			[DATA_URL]: [() => accepted(job('queued'), '2')],
			[JOB_URL]: [() => json(200, job('running', 1), { 'Retry-After': '2' })]
		});
		const controller = new AbortController();
		const promise = fetchWithJob(DATA_URL, { fetch: server.fetch, signal: controller.signal });
		const settled = promise.then(
			() => null,
			(error: unknown) => error
		);
		await vi.advanceTimersByTimeAsync(4500); // initial request + two polls
		expect(server.calls).toHaveLength(3);
		controller.abort();
		const error = await settled;
		expect(error).toBeInstanceOf(DOMException);
		expect((error as DOMException).name).toBe('AbortError');
		await vi.advanceTimersByTimeAsync(60_000);
		expect(server.calls).toHaveLength(3);
		expect(vi.getTimerCount()).toBe(0);
	});

	it('does not start when the signal is already aborted', async () => {
		const server = fakeServer({ [DATA_URL]: [() => json(200, {})] });
		const controller = new AbortController();
		controller.abort();
		await expect(
			fetchWithJob(DATA_URL, { fetch: server.fetch, signal: controller.signal })
		).rejects.toMatchObject({ name: 'AbortError' });
		expect(server.calls).toHaveLength(0);
	});

	it('turns an error answer into an ApiError with the API message', async () => {
		const server = fakeServer({
			[DATA_URL]: [
				() =>
					json(400, {
						error: {
							code: 'invalid',
							message: 'lat: must be between -90 and 90.',
							fields: { lat: ['must be between -90 and 90.'] }
						}
					})
			]
		});
		const error = await fetchWithJob(DATA_URL, { fetch: server.fetch }).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(ApiError);
		expect(error).toMatchObject({
			status: 400,
			code: 'invalid',
			message: 'lat: must be between -90 and 90.',
			fields: { lat: ['must be between -90 and 90.'] }
		});
	});

	it('reports a network failure as an ApiError with status 0', async () => {
		const failing = vi.fn(async () => {
			throw new TypeError('Failed to fetch');
		}) as unknown as typeof fetch;
		await expect(fetchWithJob(DATA_URL, { fetch: failing })).rejects.toMatchObject({
			name: 'ApiError',
			status: 0
		});
	});

	it('follows a new job when result_url answers 202 again, up to a limit', async () => {
		const options: PollOptions = { maxRestarts: 2 };
		const server = fakeServer({
			[DATA_URL]: [() => accepted(job('queued'), '1')],
			[JOB_URL]: [() => json(200, job('succeeded', 3))]
		});
		const outcome = await run(fetchWithJob(DATA_URL, { ...options, fetch: server.fetch }));
		expect(outcome.error).toBeInstanceOf(ApiError);
		expect((outcome.error as ApiError).code).toBe('not_ready');
		// 3 rounds: each a data request and one poll.
		expect(server.calls.filter((c) => c.url === DATA_URL)).toHaveLength(3);
	});
});
