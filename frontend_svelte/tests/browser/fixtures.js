// What the browser tests share: the `account` and `simulator` fixtures, the
// accessibility check and a few helpers. The tests are in app.test.js.
import { test as base, expect } from '@playwright/test';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export { expect };

export const PASSWORD = 'Garden-beds-2026!';
// What the simulated geocoder answers (backend_django/devtools/simulator/gazetteer.py).
export const PORTLAND = 'Portland, Multnomah County, Oregon, United States';
const PORTLAND_POINT = { latitude: 45.5202471, longitude: -122.674194 };
// Every data request the plan page makes, by what it fetches.
export const DATA = {
	climate: '/api/v1/climate/summary/',
	buildings: '/api/v1/buildings/',
	canopy: '/api/v1/canopy/',
	sun: '/api/v1/sun/',
	'sun summary': '/api/v1/sun/summary/'
};
export const DATA_PATHS = Object.values(DATA);
// The tests that need Open-Meteo to answer, in every file, each with a lock of
// its own: the failing-upstream tests (app.test.js, report.test.js) hold them all.
export const OPEN_METEO_USERS = [
	'plan page',
	'site map',
	'units',
	'plans list',
	'phone plan page',
	'garden',
	'phone garden',
	'report'
];
export function openMeteo(name) {
	if (!OPEN_METEO_USERS.includes(name)) throw new Error(`add ${name} to OPEN_METEO_USERS`);
	return `needs Open-Meteo: ${name}`;
}
// A slow first fetch (Open-Meteo's 30 years) can take a while through the worker.
export const PANEL_TIMEOUT = 120_000;
const AXE_SOURCE = readFileSync(
	createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
	'utf8'
);

export const test = base.extend({
	// A new account, signed in in this test's browser context. It is made
	// through the API (the register page has a test of its own), so each test
	// has its own person and plans and the tests can run in any order. A test
	// that only needs to be signed in asks for it as `account: _`.
	account: async ({ page }, use) => {
		const email = `gardener-${randomUUID()}@example.com`;
		await api(page, 'POST', '/api/v1/auth/registration/', {
			email,
			name: 'Ada Gardener',
			password1: PASSWORD,
			password2: PASSWORD
		});
		await use({ email, password: PASSWORD });
	},
	// The upstream simulator's controls (docs/upstream-simulator.md), reset
	// after the test. What a test changes there, it changes for every test
	// running at the time: give it locks that keep away the tests it would
	// break (see the top of app.test.js).
	simulator: async ({ playwright }, use) => {
		const control = await playwright.request.newContext({
			baseURL: process.env.BROWSER_SIMULATOR_URL
		});
		const post = async (path, data) => {
			const answer = await control.post(path, { data });
			expect(answer.ok(), `simulator ${path}: ${await answer.text()}`).toBe(true);
		};
		await use({
			configure: (config) => post('/__sim__/config', config),
			reset: () => post('/__sim__/reset')
		});
		await post('/__sim__/reset');
		await control.dispose();
	}
});

/**
 * A call to the API in the page's session (its cookies, with the CSRF token);
 * the answer's JSON. Anything but a 200, 201 or 204 fails the test (a 202,
 * a job, too).
 */
export async function api(page, method, path, data) {
	let csrftoken = (await page.context().cookies()).find((c) => c.name === 'csrftoken')?.value;
	if (!csrftoken && method !== 'GET') {
		csrftoken = (await (await page.request.get('/api/v1/auth/csrf/')).json()).csrf_token;
	}
	const answer = await page.request.fetch(path, {
		method,
		data,
		headers: csrftoken ? { 'X-CSRFToken': csrftoken } : {}
	});
	expect([200, 201, 204], `${method} ${path}: ${await answer.text()}`).toContain(answer.status());
	return answer.status() === 204 ? null : answer.json();
}

/** A plan at Portland, Oregon (as the New plan dialog saves the search's best match); its id. */
export async function createPlan(page, name) {
	const plan = await api(page, 'POST', '/api/v1/plans/', {
		name,
		...PORTLAND_POINT,
		address: PORTLAND
	});
	return plan.id;
}

/** What the API says of a plan (the page's own session). */
export async function planOf(page, id) {
	return page.evaluate(async (planId) => (await fetch(`/api/v1/plans/${planId}/`)).json(), id);
}

export function planIdOf(url) {
	return /\/app\/plans\/([0-9a-f-]{36})$/.exec(url)?.[1];
}

/** Sign in through the login page. */
export async function login(page, { email, password }) {
	await page.goto('/login');
	await page.getByLabel('Email').fill(email);
	await page.getByLabel('Password', { exact: true }).fill(password);
	await page.getByRole('button', { name: 'Log in' }).click();
	await expect(page).toHaveURL('/app');
}

export async function openNewPlan(page) {
	await page.getByRole('button', { name: 'New plan' }).click();
	const dialog = page.getByRole('dialog', { name: 'New plan' });
	await expect(dialog).toBeVisible();
	return dialog;
}

/** Create a plan from pasted coordinates through the New plan dialog; its id. */
export async function createWithCoordinates(page, name, coordinates) {
	await page.goto('/app');
	const dialog = await openNewPlan(page);
	await dialog.getByLabel('Name', { exact: true }).fill(name);
	await dialog.getByLabel('Or coordinates').fill(coordinates);
	await dialog.getByRole('button', { name: 'Create plan' }).click();
	await expect(page).toHaveURL(/\/app\/plans\/[0-9a-f-]{36}$/);
	await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
	return planIdOf(page.url());
}

/** Press Tab until `target` has the focus (at most `limit` times), as a keyboard user would. */
export async function tabTo(page, target, limit = 40) {
	for (let i = 0; i < limit; i++) {
		await page.keyboard.press('Tab');
		if (await target.evaluate((el) => el === document.activeElement, null, { timeout: 1_000 }))
			return;
	}
	throw new Error(`Tab never reached ${target}`);
}

/** Watch the data requests of a page: the status of each answer, by path. */
export function watchData(page) {
	const seen = [];
	page.on('response', (response) => {
		const url = new URL(response.url());
		if (DATA_PATHS.includes(url.pathname) || url.pathname.startsWith('/api/v1/jobs/')) {
			seen.push({ path: url.pathname, status: response.status() });
		}
	});
	return seen;
}

/** Wait until a data panel is ready; one that ends in an error fails at once. */
export async function panelReady(page, id, timeout = PANEL_TIMEOUT) {
	const panel = page.locator(`[data-panel="${id}"]`);
	await expect(panel).toHaveAttribute('data-status', /^(ready|error)$/, { timeout });
	if ((await panel.getAttribute('data-status')) === 'error') {
		throw new Error(`the ${id} panel shows an error: ${(await panel.innerText()).trim()}`);
	}
}

/** The plan page's data panels: the site map (sun, buildings, canopy) and the climate. */
export async function panelsReady(page, timeout = PANEL_TIMEOUT) {
	for (const id of ['site', 'climate']) await panelReady(page, id, timeout);
}

/** Pixels of a canvas that are not transparent. */
export function opaquePixels(canvas) {
	return canvas.evaluate((element) => {
		const data = element.getContext('2d').getImageData(0, 0, element.width, element.height).data;
		let opaque = 0;
		for (let i = 3; i < data.length; i += 4) if (data[i] > 0) opaque++;
		return opaque;
	});
}

/** A fingerprint of what a canvas shows (FNV-1a of its pixels). */
export function canvasPixels(canvas) {
	return canvas.evaluate((element) => {
		const data = element.getContext('2d').getImageData(0, 0, element.width, element.height).data;
		let hash = 0x811c9dc5;
		for (const byte of data) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
		return hash.toString(16);
	});
}

/** How far the page scrolls sideways (0 or less: it does not). */
export function sidewaysScroll(page) {
	return page.evaluate(
		() => document.documentElement.scrollWidth - document.documentElement.clientWidth
	);
}

/** A full-page screenshot in the test's folder of test-results/. */
export async function screenshot(page, name, { fullPage = true } = {}) {
	await page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage });
}

/**
 * Run axe-core in the page (WCAG 2.x A and AA, best practices) and insist on
 * no violations. Its source is evaluated in the page, so the page's own CSP
 * stays on. Each result is attached to the test; axe-reporter.js writes them
 * all to test-results/axe.json. `within` narrows it to one part of the page.
 */
export async function checkAccessibility(page, name, { within = null } = {}) {
	await expect(page.locator('h1').first()).toBeVisible(); // the page has rendered
	if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
	// `within`: a CSS selector, to check one part of a page another test checks whole.
	const result = await page.evaluate(async (selector) => {
		const context = selector ? document.querySelector(selector) : document;
		const { violations, passes, testEngine } = await window.axe.run(context, {
			runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'],
			resultTypes: ['violations']
		});
		return {
			version: testEngine.version,
			passes: passes.length,
			violations: violations.map((v) => ({
				id: v.id,
				impact: v.impact,
				help: v.help,
				nodes: v.nodes.map((n) => n.target.join(' '))
			}))
		};
	}, within);
	await test.info().attach(`axe: ${name}`, {
		body: JSON.stringify({ url: new URL(page.url()).pathname, ...result }),
		contentType: 'application/json'
	});
	expect(result.violations, `axe-core on ${name}`).toEqual([]);
}
