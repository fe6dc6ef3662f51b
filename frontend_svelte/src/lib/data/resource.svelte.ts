/**
 * The state of one piece of upstream data on a page (climate, buildings,
 * canopy): loading, progress while a job runs, ready (fresh or stale), or an
 * error with a retry. It wraps `fetchWithJob`; `stop()` (called when the page
 * is left) aborts the request and any polling.
 */
import { ApiError, type Job } from '$lib/api/client';
import { fetchWithJob, JobFailedError, JobNotFoundError, type PollOptions } from '$lib/api/jobs';

export type ResourceStatus = 'idle' | 'loading' | 'polling' | 'ready' | 'error';

export interface ResourceError {
	message: string;
	code: string;
}

/** What a job that is not getting anywhere yet says about it (from its last poll). */
export interface ResourceWaiting {
	/** The latest failure, for a person (e.g. "Open-Meteo is not answering."), or null. */
	message: string | null;
	code: string | null;
	/** When the server tries again (epoch ms), or null. */
	retryAt: number | null;
	waitingFor: 'upstream_down' | 'budget' | 'worker' | null;
	attempts: number;
}

/** The waiting state of a job, or null when it is simply working. */
export function describeWaiting(job: Job): ResourceWaiting | null {
	if (job.status === 'succeeded' || job.status === 'failed') return null;
	const retryAt = job.retry_at ? Date.parse(job.retry_at) : NaN;
	if (!job.last_error && !job.waiting_for && Number.isNaN(retryAt)) return null;
	return {
		message: job.last_error?.message ?? null,
		code: job.last_error?.code ?? null,
		retryAt: Number.isNaN(retryAt) ? null : retryAt,
		waitingFor: job.waiting_for ?? null,
		attempts: job.attempts ?? 0
	};
}

export interface ResourceOptions<T> {
	/** Turns the 200 answer into the value (json(), arrayBuffer() + decode, ...). */
	parse: (response: Response) => Promise<T>;
	/** Extra options for the polling helper (fetch, headers, delays). */
	poll?: Omit<PollOptions, 'signal' | 'onProgress'>;
}

export function describeError(err: unknown): ResourceError {
	if (err instanceof JobFailedError) return { message: err.message, code: err.code };
	if (err instanceof JobNotFoundError) return { message: err.message, code: 'job_not_found' };
	if (err instanceof ApiError) return { message: err.message, code: err.code };
	if (err instanceof Error) return { message: err.message, code: 'error' };
	return { message: 'Something went wrong.', code: 'error' };
}

/** What a panel reads of a resource (DataResource, or a group of them). */
export interface ResourceView<T> {
	readonly status: ResourceStatus;
	readonly data: T | null;
	readonly stale: boolean;
	readonly progress: { done: number; total: number } | null;
	readonly error: ResourceError | null;
	/** What its job waits for (a failing upstream, a spent budget), while polling. */
	readonly waiting: ResourceWaiting | null;
	retry(): Promise<void>;
}

export class DataResource<T> implements ResourceView<T> {
	status = $state<ResourceStatus>('idle');
	data = $state.raw<T | null>(null);
	/** The cache answered with data past its freshness (a refresh runs in the background). */
	stale = $state(false);
	progress = $state<{ done: number; total: number } | null>(null);
	/** Set while the job waits for a failing upstream, a spent budget or a worker. */
	waiting = $state<ResourceWaiting | null>(null);
	error = $state<ResourceError | null>(null);
	url = $state<string | null>(null);

	#options: ResourceOptions<T>;
	#controller: AbortController | null = null;

	constructor(options: ResourceOptions<T>) {
		this.#options = options;
	}

	/**
	 * Load `url`, replacing any request in flight. The data shown so far stays
	 * while the same URL loads again; `keepData` keeps it for another URL too
	 * (the same answer asked another way, e.g. another frost risk), so a panel
	 * keeps its controls in place while the new answer comes.
	 */
	async load(url: string, { keepData = false }: { keepData?: boolean } = {}): Promise<void> {
		this.stop();
		const controller = new AbortController();
		this.#controller = controller;
		if (url !== this.url && !keepData) this.data = null;
		this.url = url;
		this.status = 'loading';
		this.error = null;
		this.progress = null;
		this.waiting = null;
		this.stale = false;
		try {
			const result = await fetchWithJob(url, {
				...this.#options.poll,
				signal: controller.signal,
				onProgress: (job) => {
					if (controller.signal.aborted) return;
					this.status = 'polling';
					this.progress = { done: job.progress.done, total: job.progress.total };
					this.waiting = describeWaiting(job);
				}
			});
			const value = await this.#options.parse(result.response);
			if (controller.signal.aborted) return;
			this.data = value;
			this.waiting = null;
			this.stale = result.cache === 'STALE';
			this.status = 'ready';
		} catch (err) {
			if (controller.signal.aborted) return;
			this.waiting = null;
			this.error = describeError(err);
			this.status = 'error';
		} finally {
			if (this.#controller === controller) this.#controller = null;
		}
	}

	/** Try the same request again (after an error). */
	retry(): Promise<void> {
		return this.url ? this.load(this.url) : Promise.resolve();
	}

	/** Abort the request and stop polling. */
	stop(): void {
		this.#controller?.abort();
		this.#controller = null;
		if (this.status === 'loading' || this.status === 'polling') this.status = 'idle';
	}
}

/**
 * Several resources shown as one (the site map's layers): its data is every
 * layer's value so far (null while none has arrived), an error in any layer
 * is the group's error (retry tries the failed layers again), it polls while
 * any layer does (with that layer's progress, the first named layer first),
 * and it is ready when all are.
 */
export class ResourceGroup<
	R extends Record<string, DataResource<unknown>>
> implements ResourceView<{
	[K in keyof R]: R[K] extends DataResource<infer V> ? V | null : never;
}> {
	readonly resources: R;

	constructor(resources: R) {
		this.resources = resources;
	}

	#all(): DataResource<unknown>[] {
		return Object.values(this.resources);
	}

	get status(): ResourceStatus {
		const states = this.#all().map((r) => r.status);
		if (states.includes('error')) return 'error';
		if (states.includes('polling')) return 'polling';
		if (states.includes('loading')) return 'loading';
		if (states.every((s) => s === 'ready')) return 'ready';
		return 'idle';
	}

	get data() {
		const entries = Object.entries(this.resources).map(([key, r]) => [key, r.data]);
		if (entries.every(([, value]) => value === null)) return null;
		return Object.fromEntries(entries) as {
			[K in keyof R]: R[K] extends DataResource<infer V> ? V | null : never;
		};
	}

	get stale(): boolean {
		return this.#all().some((r) => r.status === 'ready' && r.stale);
	}

	get progress() {
		return this.#all().find((r) => r.status === 'polling')?.progress ?? null;
	}

	get error(): ResourceError | null {
		return this.#all().find((r) => r.status === 'error')?.error ?? null;
	}

	/** The first polling layer's wait, as for its progress. */
	get waiting(): ResourceWaiting | null {
		return this.#all().find((r) => r.status === 'polling' && r.waiting)?.waiting ?? null;
	}

	async retry(): Promise<void> {
		await Promise.all(
			this.#all()
				.filter((r) => r.status === 'error')
				.map((r) => r.retry())
		);
	}

	stop(): void {
		for (const r of this.#all()) r.stop();
	}
}
