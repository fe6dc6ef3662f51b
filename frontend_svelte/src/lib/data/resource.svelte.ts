/**
 * The state of one piece of upstream data on a page (climate, buildings,
 * canopy): loading, progress while a job runs, ready (fresh or stale), or an
 * error with a retry. It wraps `fetchWithJob`; `stop()` (called when the page
 * is left) aborts the request and any polling.
 */
import { ApiError } from '$lib/api/client';
import { fetchWithJob, JobFailedError, JobNotFoundError, type PollOptions } from '$lib/api/jobs';

export type ResourceStatus = 'idle' | 'loading' | 'polling' | 'ready' | 'error';

export interface ResourceError {
	message: string;
	code: string;
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

export class DataResource<T> {
	status = $state<ResourceStatus>('idle');
	data = $state.raw<T | null>(null);
	/** The cache answered with data past its freshness (a refresh runs in the background). */
	stale = $state(false);
	progress = $state<{ done: number; total: number } | null>(null);
	error = $state<ResourceError | null>(null);
	url = $state<string | null>(null);

	#options: ResourceOptions<T>;
	#controller: AbortController | null = null;

	constructor(options: ResourceOptions<T>) {
		this.#options = options;
	}

	/** Load `url`, replacing any request in flight. */
	async load(url: string): Promise<void> {
		this.stop();
		const controller = new AbortController();
		this.#controller = controller;
		if (url !== this.url) this.data = null;
		this.url = url;
		this.status = 'loading';
		this.error = null;
		this.progress = null;
		this.stale = false;
		try {
			const result = await fetchWithJob(url, {
				...this.#options.poll,
				signal: controller.signal,
				onProgress: (job) => {
					if (controller.signal.aborted) return;
					this.status = 'polling';
					this.progress = { done: job.progress.done, total: job.progress.total };
				}
			});
			const value = await this.#options.parse(result.response);
			if (controller.signal.aborted) return;
			this.data = value;
			this.stale = result.cache === 'STALE';
			this.status = 'ready';
		} catch (err) {
			if (controller.signal.aborted) return;
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
