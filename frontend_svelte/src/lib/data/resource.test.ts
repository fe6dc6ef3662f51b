import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DataResource } from './resource.svelte';

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
	updated_at: ''
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
});
