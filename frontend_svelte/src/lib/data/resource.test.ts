import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DataResource, ResourceGroup, describeWaiting } from './resource.svelte';
import { countdown, waitingText } from './waiting';

const URL_A = 'http://app.test/api/v1/climate/summary/?lat=1&lng=2';
const JOB = 'http://app.test/api/v1/jobs/j1/';

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
	return new Response(JSON.stringify(body), {
		status,
		headers: { 'Content-Type': 'application/json', ...headers }
	});
}

const job = (status: string, done: number) => ({
	id: 'j1',
	kind: 'climate',
	status,
	progress: { done, total: 2 },
	error: status === 'failed' ? { code: 'upstream_error', message: 'Open-Meteo is down.' } : null,
	result_url: '/api/v1/climate/summary/?lat=1&lng=2',
	created_at: '',
	updated_at: '',
	attempts: 0,
	last_error: null,
	retry_at: null,
	waiting_for: null
});

describe('DataResource', () => {
	beforeEach(() => vi.useFakeTimers());
	afterEach(() => vi.useRealTimers());

	it('goes loading → polling with progress → ready, and marks stale answers', async () => {
		let dataCalls = 0;
		const fetchFn = vi.fn(async (input: RequestInfo | URL) => {
			const url = String(input);
			if (url === JOB) return json(200, job('succeeded', 2));
			dataCalls++;
			return dataCalls === 1
				? json(202, job('running', 1), { Location: '/api/v1/jobs/j1/', 'Retry-After': '1' })
				: json(200, { years: 30 }, { 'X-Cache': 'STALE' });
		}) as unknown as typeof fetch;
		const resource = new DataResource<{ years: number }>({
			parse: (r) => r.json(),
			poll: { fetch: fetchFn }
		});
		const done = resource.load(URL_A);
		expect(resource.status).toBe('loading');
		await vi.advanceTimersByTimeAsync(0);
		expect(resource.status).toBe('polling');
		expect(resource.progress).toEqual({ done: 1, total: 2 });
		await vi.advanceTimersByTimeAsync(1000);
		await done;
		expect(resource.status).toBe('ready');
		expect(resource.data).toEqual({ years: 30 });
		expect(resource.stale).toBe(true);
	});

	it('shows a failed job as an error, and retry loads again', async () => {
		let failing = true;
		const fetchFn = vi.fn(async (input: RequestInfo | URL) => {
			if (String(input) === JOB) return json(200, job('failed', 1));
			return failing
				? json(202, job('queued', 0), { Location: '/api/v1/jobs/j1/', 'Retry-After': '1' })
				: json(200, { years: 30 }, { 'X-Cache': 'HIT' });
		}) as unknown as typeof fetch;
		const resource = new DataResource<{ years: number }>({
			parse: (r) => r.json(),
			poll: { fetch: fetchFn }
		});
		const first = resource.load(URL_A);
		await vi.advanceTimersByTimeAsync(1000);
		await first;
		expect(resource.status).toBe('error');
		expect(resource.error).toEqual({ code: 'upstream_error', message: 'Open-Meteo is down.' });

		failing = false;
		await resource.retry();
		expect(resource.status).toBe('ready');
		expect(resource.error).toBeNull();
		expect(resource.stale).toBe(false);
	});

	it('stop() aborts polling and leaves no timers behind', async () => {
		const server = vi.fn(async (input: RequestInfo | URL) =>
			String(input) === JOB
				? json(200, job('running', 1), { 'Retry-After': '1' })
				: json(202, job('queued', 0), { Location: '/api/v1/jobs/j1/', 'Retry-After': '1' })
		);
		const fetchFn = server as unknown as typeof fetch;
		const resource = new DataResource<unknown>({
			parse: (r) => r.json(),
			poll: { fetch: fetchFn }
		});
		const pending = resource.load(URL_A);
		await vi.advanceTimersByTimeAsync(2500);
		const calls = server.mock.calls.length;
		resource.stop();
		await pending;
		await vi.advanceTimersByTimeAsync(30_000);
		expect(server.mock.calls.length).toBe(calls);
		expect(resource.status).toBe('idle');
		expect(resource.error).toBeNull();
		expect(vi.getTimerCount()).toBe(0);
	});

	it('drops the data for another URL, unless asked to keep it while the new one loads', async () => {
		const URL_B = 'http://app.test/api/v1/plans/p/calendar/?risk=10';
		let answer: (value: Response) => void = () => {};
		const fetchFn = vi.fn(async (input: RequestInfo | URL) =>
			String(input) === URL_A
				? json(200, { risk: 50 })
				: new Promise<Response>((resolve) => (answer = resolve))
		) as unknown as typeof fetch;
		const resource = new DataResource<{ risk: number }>({
			parse: (r) => r.json(),
			poll: { fetch: fetchFn }
		});
		await resource.load(URL_A);
		expect(resource.data).toEqual({ risk: 50 });

		const kept = resource.load(URL_B, { keepData: true });
		expect(resource.status).toBe('loading');
		expect(resource.data).toEqual({ risk: 50 });
		answer(json(200, { risk: 10 }));
		await kept;
		expect(resource.data).toEqual({ risk: 10 });

		await resource.load(URL_A);
		const dropped = resource.load(URL_B);
		expect(resource.data).toBeNull();
		answer(json(200, { risk: 10 }));
		await dropped;
		expect(resource.data).toEqual({ risk: 10 });
	});
});

describe('a job that waits', () => {
	const base = job('queued', 0);

	it('is simply working until it says otherwise', () => {
		expect(describeWaiting({ ...base } as never)).toBeNull();
		expect(describeWaiting({ ...base, status: 'failed' } as never)).toBeNull();
	});

	it('says what failed, when the server tries again, and what it waits for', () => {
		const waiting = describeWaiting({
			...base,
			attempts: 3,
			waiting_for: 'upstream_down',
			last_error: { code: 'upstream_timeout', message: 'Open-Meteo did not answer in time.' },
			retry_at: '2026-12-02T21:40:05Z'
		} as never);
		expect(waiting).toEqual({
			message: 'Open-Meteo did not answer in time.',
			code: 'upstream_timeout',
			retryAt: Date.parse('2026-12-02T21:40:05Z'),
			waitingFor: 'upstream_down',
			attempts: 3
		});
		expect(waitingText(waiting!)).toBe('Open-Meteo did not answer in time.');
		const budget = describeWaiting({
			...base,
			waiting_for: 'budget',
			retry_at: '2026-12-02T21:40:05Z'
		} as never);
		expect(waitingText(budget!)).toMatch(/allowance of requests/);
	});

	it('counts down to the next try', () => {
		const at = 1_000_000;
		expect(countdown(at + 42_000, at)).toBe('Trying again in 42 s.');
		expect(countdown(at + 41_001, at)).toBe('Trying again in 42 s.');
		expect(countdown(at + 185_000, at)).toBe('Trying again in 3 min 5 s.');
		expect(countdown(at + 120_000, at)).toBe('Trying again in 2 min.');
		expect(countdown(at, at)).toBe('Trying again now…');
	});

	it('shows on the resource while polling and clears when the data arrives', async () => {
		vi.useFakeTimers();
		try {
			const waitingJob = {
				...base,
				attempts: 1,
				waiting_for: 'upstream_down',
				last_error: { code: 'upstream_unavailable', message: 'Open-Meteo is not answering.' },
				retry_at: new Date(Date.now() + 3000).toISOString()
			};
			let polls = 0;
			const fetchFn = vi.fn(async (input: RequestInfo | URL) => {
				if (String(input) === JOB) {
					polls++;
					return polls === 1
						? json(200, waitingJob, { 'Retry-After': '3' })
						: json(200, job('succeeded', 2));
				}
				return polls === 0
					? json(202, base, { Location: '/api/v1/jobs/j1/', 'Retry-After': '1' })
					: json(200, { years: 30 }, { 'X-Cache': 'HIT' });
			}) as unknown as typeof fetch;
			const resource = new DataResource<{ years: number }>({
				parse: (r) => r.json(),
				poll: { fetch: fetchFn }
			});
			const done = resource.load(URL_A);
			await vi.advanceTimersByTimeAsync(1000);
			expect(resource.waiting?.message).toBe('Open-Meteo is not answering.');
			expect(resource.waiting?.waitingFor).toBe('upstream_down');
			await vi.advanceTimersByTimeAsync(3000);
			await done;
			expect(resource.status).toBe('ready');
			expect(resource.waiting).toBeNull();
		} finally {
			vi.useRealTimers();
		}
	});
});

describe('ResourceGroup', () => {
	beforeEach(() => vi.useFakeTimers());
	afterEach(() => vi.useRealTimers());

	it('shows layers as they arrive, polls while one does, is ready when all are', async () => {
		const SLOW = 'http://app.test/api/v1/sun/?lat=1&lng=2';
		const FAST = 'http://app.test/api/v1/buildings/?bbox=1,2,3,4';
		let slowCalls = 0;
		const fetchFn = vi.fn(async (input: RequestInfo | URL) => {
			const url = String(input);
			if (url === FAST) return json(200, { n: 3 }, { 'X-Cache': 'HIT' });
			if (url === JOB) return json(200, job('succeeded', 2));
			slowCalls++;
			return slowCalls === 1
				? json(202, job('running', 1), { Location: '/api/v1/jobs/j1/', 'Retry-After': '1' })
				: json(200, { n: 9 }, { 'X-Cache': 'HIT' });
		}) as unknown as typeof fetch;
		const make = () =>
			new DataResource<{ n: number }>({ parse: (r) => r.json(), poll: { fetch: fetchFn } });
		const group = new ResourceGroup({ sun: make(), buildings: make() });
		expect(group.data).toBeNull();
		const loads = [group.resources.sun.load(SLOW), group.resources.buildings.load(FAST)];
		expect(group.status).toBe('loading');
		await vi.advanceTimersByTimeAsync(0);
		expect(group.status).toBe('polling');
		expect(group.progress).toEqual({ done: 1, total: 2 });
		// The fast layer is there already; the slow one not yet.
		expect(group.data).toEqual({ sun: null, buildings: { n: 3 } });
		await vi.advanceTimersByTimeAsync(1000);
		await Promise.all(loads);
		expect(group.status).toBe('ready');
		expect(group.data).toEqual({ sun: { n: 9 }, buildings: { n: 3 } });
		expect(group.stale).toBe(false);
	});

	it('an error in one layer is the group’s; retry tries the failed one again', async () => {
		const A = 'http://app.test/api/v1/sun/summary/?lat=1&lng=2';
		const B = 'http://app.test/api/v1/canopy/?lat=1&lng=2';
		let bCalls = 0;
		const asked: string[] = [];
		const fetchFn = vi.fn(async (input: RequestInfo | URL) => {
			const url = String(input);
			asked.push(url);
			if (url === A) return json(200, { a: 1 });
			bCalls++;
			return bCalls === 1
				? json(503, { error: { code: 'upstream_down', message: 'The tiles are not answering.' } })
				: json(200, { b: 2 }, { 'X-Cache': 'STALE' });
		}) as unknown as typeof fetch;
		const make = () =>
			new DataResource<Record<string, number>>({
				parse: (r) => r.json(),
				poll: { fetch: fetchFn }
			});
		const group = new ResourceGroup({ a: make(), b: make() });
		await Promise.all([group.resources.a.load(A), group.resources.b.load(B)]);
		expect(group.status).toBe('error');
		expect(group.error).toEqual({ code: 'upstream_down', message: 'The tiles are not answering.' });
		const callsBefore = asked.length;
		await group.retry();
		// Only the failed layer was asked again.
		expect(asked.slice(callsBefore)).toEqual([B]);
		expect(group.status).toBe('ready');
		expect(group.stale).toBe(true);
		expect(group.data).toEqual({ a: { a: 1 }, b: { b: 2 } });
	});
});
