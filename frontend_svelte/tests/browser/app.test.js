// Browser tests: Chromium driven by playwright-core against the full local
// stack (tests/browser/stack.js). Screenshots go to test-results/, with
// axe.json: the accessibility check (axe-core) of every page the tests visit.
// scripts/test finds the browser (scripts/browser) and passes CHROMIUM_PATH.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { FRONTEND_DIR, simulator, startStack } from './stack.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RESULTS = join(FRONTEND_DIR, 'test-results');
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 1000 };
// Every data request the plan page makes, by what it fetches.
const DATA = {
	climate: '/api/v1/climate/summary/',
	buildings: '/api/v1/buildings/',
	canopy: '/api/v1/canopy/',
	sun: '/api/v1/sun/',
	'sun summary': '/api/v1/sun/summary/'
};
const DATA_PATHS = Object.values(DATA);
// A slow first fetch (Open-Meteo's 30 years) can take a while through the worker.
const PANEL_TIMEOUT = 120_000;
const AXE_SOURCE = readFileSync(
	createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
	'utf8'
);
// What the simulated geocoder answers (backend_django/devtools/simulator/gazetteer.py).
const PORTLAND = 'Portland, Multnomah County, Oregon, United States';

let stack;
let context;
let userDataDir;
// The plan page's data panels: the site map (sun, buildings, canopy) and the climate.
const panels = ['site', 'climate'];
const password = 'Garden-beds-2026!';
const email = `gardener-${Date.now()}@example.com`;
const axeResults = {};

before(async () => {
	if (!existsSync(CHROMIUM)) {
		throw new Error(
			`No browser at ${CHROMIUM}: \`apt-get install -y chromium\`, or set CHROMIUM_PATH`
		);
	}
	mkdirSync(RESULTS, { recursive: true });
	stack = await startStack();
	userDataDir = mkdtempSync(join(tmpdir(), 'solarsim-chromium-'));
	context = await chromium.launchPersistentContext(userDataDir, {
		executablePath: CHROMIUM,
		headless: true,
		viewport: DESKTOP,
		args: [
			'--no-sandbox',
			'--headless',
			'--disable-gpu',
			'--disable-background-networking',
			'--disable-quic',
			'--no-first-run',
			'--disable-component-update',
			'--disable-sync'
		]
	});
	context.setDefaultTimeout(15_000);
});

after(async () => {
	if (Object.keys(axeResults).length) {
		writeFileSync(join(RESULTS, 'axe.json'), JSON.stringify(axeResults, null, 2));
		const lines = Object.entries(axeResults).map(
			([name, result]) =>
				`  ${name}: ${result.violations.length} violations, ${result.passes} rules passed`
		);
		console.log(`axe-core ${axeResults[Object.keys(axeResults)[0]].version}:\n${lines.join('\n')}`);
	}
	await context?.close();
	if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
	await stack?.stop();
});

async function newPage() {
	const page = context.pages()[0] ?? (await context.newPage());
	page.removeAllListeners?.('response');
	return page;
}

/** Watch the data requests of a page: status of each answer, by path. */
function watchData(page) {
	const seen = [];
	page.on('response', (response) => {
		const url = new URL(response.url());
		if (DATA_PATHS.includes(url.pathname) || url.pathname.startsWith('/api/v1/jobs/')) {
			seen.push({ path: url.pathname, status: response.status() });
		}
	});
	return seen;
}

/** Wait until every data panel is ready; a panel that ends in an error fails at once. */
async function panelsReady(page, timeout = PANEL_TIMEOUT) {
	for (const id of panels) {
		const panel = page.locator(
			`[data-panel="${id}"][data-status="ready"], [data-panel="${id}"][data-status="error"]`
		);
		await panel.waitFor({ timeout });
		if ((await panel.getAttribute('data-status')) === 'error') {
			const alert = panel.getByRole('alert');
			await alert.waitFor({ timeout: 5_000 }).catch(() => {});
			const message = (await alert.count()) ? await alert.innerText() : await panel.innerText();
			assert.fail(`the ${id} panel shows an error: ${message.trim()}`);
		}
	}
}

/** Pixels of a canvas that are not transparent. */
async function opaquePixels(canvas) {
	return canvas.evaluate((element) => {
		const data = element.getContext('2d').getImageData(0, 0, element.width, element.height).data;
		let opaque = 0;
		for (let i = 3; i < data.length; i += 4) if (data[i] > 0) opaque++;
		return opaque;
	});
}

/** A fingerprint of what a canvas shows (FNV-1a of its pixels). */
async function canvasPixels(canvas) {
	return canvas.evaluate((element) => {
		const data = element.getContext('2d').getImageData(0, 0, element.width, element.height).data;
		let hash = 0x811c9dc5;
		for (const byte of data) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
		return hash.toString(16);
	});
}

async function screenshot(page, name) {
	await page.screenshot({ path: join(RESULTS, `${name}.png`), fullPage: true });
}

/** Run axe-core in the page (WCAG 2.x A and AA, best practices) and insist on no violations. */
async function checkAccessibility(page, name) {
	await page.locator('h1').first().waitFor(); // the page has rendered
	if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
	const result = await page.evaluate(async () => {
		const { violations, passes, testEngine } = await window.axe.run(document, {
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
	});
	axeResults[name] = { url: new URL(page.url()).pathname, ...result };
	assert.deepEqual(
		result.violations,
		[],
		`axe-core on ${name}: ${JSON.stringify(result.violations)}`
	);
}

async function login(page) {
	await page.goto(`${stack.appUrl}/login`);
	await page.getByLabel('Email').fill(email);
	await page.getByLabel('Password', { exact: true }).fill(password);
	await page.getByRole('button', { name: 'Log in' }).click();
	await page.waitForURL(`${stack.appUrl}/app`);
}

/** What the API says of a plan (the page's own session). */
async function planOf(page, id) {
	return page.evaluate(async (planId) => (await fetch(`/api/v1/plans/${planId}/`)).json(), id);
}

function planIdOf(url) {
	return /\/app\/plans\/([0-9a-f-]{36})$/.exec(url)?.[1];
}

async function openNewPlan(page) {
	await page.getByRole('button', { name: 'New plan' }).click();
	const dialog = page.getByRole('dialog', { name: 'New plan' });
	await dialog.waitFor();
	return dialog;
}

/** Create a plan from pasted coordinates through the New plan dialog; its id. */
async function createWithCoordinates(page, name, coordinates) {
	await page.goto(`${stack.appUrl}/app`);
	const dialog = await openNewPlan(page);
	await dialog.getByLabel('Name', { exact: true }).fill(name);
	await dialog.getByLabel('Or coordinates').fill(coordinates);
	await dialog.getByRole('button', { name: 'Create plan' }).click();
	await page.waitForURL(/\/app\/plans\/[0-9a-f-]{36}$/);
	await page.getByRole('heading', { name, level: 1 }).waitFor();
	return planIdOf(page.url());
}

/** Press Tab until the focus is on an element matching ``is`` (at most ``limit`` times). */
async function tabTo(page, is, limit = 40) {
	for (let i = 0; i < limit; i++) {
		await page.keyboard.press('Tab');
		if (await page.evaluate(is)) return;
	}
	assert.fail(`Tab never reached the element (${is})`);
}

async function focusedIsHeading(page, text) {
	return page.evaluate(
		(name) =>
			document.activeElement?.tagName === 'H1' &&
			document.activeElement.textContent.trim() === name,
		text
	);
}

describe('Solar Sim in a browser', { concurrency: 1 }, () => {
	test('public pages are prerendered HTML, the app is the SPA fallback', async () => {
		const landing = await (await fetch(`${stack.appUrl}/`)).text();
		assert.match(landing, /Plan a garden around sun, frost and shade/);
		const about = await (await fetch(`${stack.appUrl}/about`)).text();
		assert.match(about, /About Solar Sim/);
		const app = await (await fetch(`${stack.appUrl}/app/plans/whatever`)).text();
		assert.doesNotMatch(app, /Plan a garden/);
		assert.match(app, /_app\/immutable/);
	});

	test('public pages pass the accessibility check', async () => {
		const page = await newPage();
		for (const [path, name] of [
			['/', 'landing'],
			['/about', 'about'],
			['/login', 'login'],
			['/register', 'register'],
			['/forgot-password', 'forgot-password'],
			['/reset-password', 'reset-password (incomplete link)'],
			['/verify-email', 'verify-email (no key)']
		]) {
			await page.goto(`${stack.appUrl}${path}`);
			await page.locator('main h1').waitFor();
			await checkAccessibility(page, name);
		}
	});

	test('an unknown address is a 404 page inside the site, with a way back', async () => {
		const page = await newPage();
		await page.goto(`${stack.appUrl}/no-such-page`);
		await page.getByRole('heading', { name: 'Page not found', exact: true, level: 1 }).waitFor();
		assert.equal(await page.getByText('Not Found', { exact: true }).count(), 0);
		await page.getByRole('navigation', { name: 'Main' }).waitFor();
		await checkAccessibility(page, '404 page');
		await page.getByRole('link', { name: 'Go to the Solar Sim home page' }).click();
		await page.waitForURL(`${stack.appUrl}/`);
	});

	test('the app sends visitors who are not signed in to the login page', async () => {
		const page = await newPage();
		await page.goto(`${stack.appUrl}/app`);
		await page.waitForURL(/\/login\?next=%2Fapp/);
		await assert.doesNotReject(page.getByRole('heading', { name: 'Log in' }).waitFor());
	});

	test('register, with field errors first, named as the form names them', async () => {
		const page = await newPage();
		await page.goto(`${stack.appUrl}/register`);
		await page.getByLabel('Name (optional)').fill('Ada Gardener');
		await page.getByLabel('Email').fill(email);
		await page.getByLabel('Password', { exact: true }).fill('password');
		await page.getByLabel('Password again').fill('password');
		await page.getByRole('button', { name: 'Create account' }).click();
		const alert = page.getByRole('alert');
		await alert.waitFor();
		// The error summary takes the focus so keyboard users land on it.
		assert.equal(await alert.evaluate((el) => el === document.activeElement), true);
		const summary = await alert.innerText();
		assert.match(summary, /Password: this password is too common\./);
		assert.doesNotMatch(summary, /password1/);
		await checkAccessibility(page, 'register (errors)');
		// The summary links to the field.
		await alert.getByRole('link', { name: /^Password:/ }).click();
		assert.equal(await page.evaluate(() => document.activeElement?.id), 'password1');

		await page.getByLabel('Password', { exact: true }).fill(password);
		await page.getByLabel('Password again').fill(password);
		await page.getByRole('button', { name: 'Create account' }).click();
		await page.waitForURL(`${stack.appUrl}/app`);
		await page.getByText('Ada Gardener').waitFor();
	});

	test('log out, a wrong password, log in', async () => {
		const page = await newPage();
		await page.goto(`${stack.appUrl}/app`);
		await page.getByRole('button', { name: 'Log out' }).click();
		await page.waitForURL(/\/login\?signed_out=1/);
		await page.getByLabel('Email').fill(email);
		await page.getByLabel('Password', { exact: true }).fill('not-the-password');
		await page.getByRole('button', { name: 'Log in' }).click();
		await page.getByRole('alert').waitFor();
		await login(page);
	});

	test('forgotten password sends the link', async () => {
		const page = await newPage();
		await page.getByRole('button', { name: 'Log out' }).click();
		await page.waitForURL(/\/login\?signed_out=1/);
		await page.goto(`${stack.appUrl}/forgot-password`);
		await page.getByLabel('Email').fill(email);
		await page.getByRole('button', { name: 'Send the link' }).click();
		await page.getByText('we have sent it a link').waitFor();
		await page.goto(`${stack.appUrl}/reset-password?uid=x&token=y`);
		await page.getByLabel('New password', { exact: true }).fill(password);
		await page.getByLabel('New password again').fill(password);
		await page.getByRole('button', { name: 'Save the new password' }).click();
		await page.getByRole('alert').waitFor();
		await login(page);
	});

	test('a signed-in person: landing shows their plans, login and register send them on, focus follows pages', async () => {
		const page = await newPage();
		await page.goto(`${stack.appUrl}/`);
		await page.getByRole('main').getByRole('link', { name: 'Your plans' }).waitFor();
		assert.equal(await page.getByRole('link', { name: 'Log in' }).count(), 0);
		for (const path of ['/login', '/register']) {
			await page.goto(`${stack.appUrl}${path}`);
			await page.waitForURL(`${stack.appUrl}/app`);
		}
		await page.goto(`${stack.appUrl}/login?next=%2Fapp%2Faccount`);
		await page.waitForURL(`${stack.appUrl}/app/account`);
		// After moving to another page the focus is on its main heading.
		await page
			.getByRole('navigation', { name: 'Main' })
			.getByRole('link', { name: 'Your plans' })
			.click();
		await page.waitForURL(`${stack.appUrl}/app`);
		await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
		assert.equal(await focusedIsHeading(page, 'Your plans'), true);
		// An unknown address, for a signed-in person: a way back to the plans.
		await page.goto(`${stack.appUrl}/app/no-such-page`);
		await page.getByRole('heading', { name: 'Page not found', exact: true, level: 1 }).waitFor();
		await checkAccessibility(page, '404 page (signed in)');
		await page.getByRole('main').getByRole('link', { name: 'Go to your plans' }).click();
		await page.waitForURL(`${stack.appUrl}/app`);
		// A plan that is not there: the app's own page, inside the app.
		await page.goto(`${stack.appUrl}/app/plans/00000000-0000-4000-8000-000000000000`);
		await page.getByRole('heading', { name: 'Not found', exact: true, level: 1 }).waitFor();
		await page.getByText('There is no such plan, or it belongs to someone else.').waitFor();
		await checkAccessibility(page, 'missing plan page');
		await page.getByRole('link', { name: 'Back to your plans' }).click();
		await page.waitForURL(`${stack.appUrl}/app`);
	});

	test('on a phone, with the keyboard alone: type a town, pick it, create the plan', async () => {
		const page = await newPage();
		await page.setViewportSize(PHONE);
		try {
			await page.goto(`${stack.appUrl}/app`);
			await page.getByText('No plans yet').waitFor();
			await checkAccessibility(page, 'plans list (empty, phone)');
			await tabTo(page, () => document.activeElement?.textContent?.trim() === 'New plan');
			await page.keyboard.press('Enter');
			const dialog = page.getByRole('dialog', { name: 'New plan' });
			await dialog.waitFor();
			assert.equal(await page.evaluate(() => document.activeElement?.id), 'new-name');
			await page.keyboard.type('Balcony');
			await tabTo(page, () => document.activeElement?.id === 'new-search');
			await page.keyboard.type('Portland, OR');
			await page.keyboard.press('Enter'); // searches; does not submit the form
			// The best match is chosen and focused: the person can check it and go on.
			await page.waitForFunction(() => document.activeElement?.id === 'new-place-0');
			assert.equal(await dialog.getByRole('radio', { name: PORTLAND }).isChecked(), true);
			await dialog.getByTestId('new-chosen').getByText(PORTLAND).waitFor();
			await dialog.getByText('© OpenStreetMap contributors').waitFor();
			const overflow = await page.evaluate(
				() => document.documentElement.scrollWidth - document.documentElement.clientWidth
			);
			assert.ok(overflow <= 0, `the dialog scrolls sideways on a phone by ${overflow}px`);
			await checkAccessibility(page, 'new plan dialog with results (phone)');
			await screenshot(page, 'new-plan-search-phone');
			await tabTo(page, () => document.activeElement?.textContent?.trim() === 'Create plan');
			await page.keyboard.press('Enter');
			await page.waitForURL(/\/app\/plans\/[0-9a-f-]{36}$/);
			await page.getByRole('heading', { name: 'Balcony', level: 1 }).waitFor();
			await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
			assert.equal(await page.getByTestId('plan-address').innerText(), PORTLAND);
			const plan = await planOf(page, planIdOf(page.url()));
			assert.deepEqual(
				[plan.latitude, plan.longitude, plan.address],
				[45.5202471, -122.674194, PORTLAND]
			);
		} finally {
			await page.setViewportSize(DESKTOP);
		}
	});

	test('pasted coordinates in each common form, and Use my location, fill the place', async () => {
		const page = await newPage();
		// 45.52, -122.68 and 45°31′N 122°41′W are both in Portland, Oregon (within the simulator's 0.5°).
		for (const [name, text, lat, lng] of [
			['Decimal', '45.52, -122.68', 45.52, -122.68],
			['Minutes', '45°31′N 122°41′W', 45.5166667, -122.6833333],
			['Letters', '45.52 N 122.68 W', 45.52, -122.68]
		]) {
			const id = await createWithCoordinates(page, name, text);
			const plan = await planOf(page, id);
			assert.deepEqual([plan.latitude, plan.longitude], [lat, lng], text);
			// The address was looked up for the point (places/reverse/).
			assert.match(plan.address, new RegExp(`, ${PORTLAND}$`), text);
			assert.equal(await page.getByTestId('plan-address').innerText(), plan.address);
		}

		// A bad paste is explained, next to the field, before anything is saved.
		await page.goto(`${stack.appUrl}/app`);
		let dialog = await openNewPlan(page);
		await dialog.getByLabel('Name', { exact: true }).fill('Nowhere');
		await dialog.getByLabel('Or coordinates').fill('91, 10');
		await dialog.getByRole('button', { name: 'Create plan' }).click();
		await dialog.getByText('The latitude must be between 90° S and 90° N.').waitFor();
		await page.keyboard.press('Escape');
		await dialog.waitFor({ state: 'hidden' });

		await context.grantPermissions(['geolocation'], { origin: stack.appUrl });
		await context.setGeolocation({ latitude: 48.1372, longitude: 11.5756 });
		dialog = await openNewPlan(page);
		await dialog.getByLabel('Name', { exact: true }).fill('Here');
		await dialog.getByRole('button', { name: 'Use my location' }).click();
		await dialog
			.getByTestId('new-chosen')
			.getByText(/, Munich, Bavaria, Germany$/)
			.waitFor();
		await dialog.getByRole('button', { name: 'Create plan' }).click();
		await page.waitForURL(/\/app\/plans\/[0-9a-f-]{36}$/);
		const here = await planOf(page, planIdOf(page.url()));
		assert.deepEqual([here.latitude, here.longitude], [48.1372, 11.5756]);
		assert.match(here.address, /, Munich, Bavaria, Germany$/);
	});

	test('plans list: each plan at a glance; rename, Escape, archive and delete with Undo', async () => {
		const page = await newPage();
		await page.goto(`${stack.appUrl}/app`);
		// Validation happens before anything is sent.
		let dialog = await openNewPlan(page);
		await dialog.getByRole('button', { name: 'Create plan' }).click();
		await dialog.getByRole('alert').getByText('Name: give the plan a name.').waitFor();
		await dialog.getByText('Choose where it is: search for a town').first().waitFor();
		await dialog.getByRole('button', { name: 'Cancel' }).click();
		await dialog.waitFor({ state: 'hidden' });
		// The focus is back on the button that opened it.
		assert.equal(
			await page.evaluate(() => document.activeElement?.textContent?.trim()),
			'New plan'
		);

		const row = page.locator('li[data-plan="Balcony"]');
		await row.getByText(PORTLAND).waitFor();
		// Its data arrives in the background (prefetch), and the list says so, with the last frost.
		await page.waitForFunction(
			async () => {
				const plans = (await (await fetch('/api/v1/plans/')).json()).results;
				const balcony = plans.find((p) => p.name === 'Balcony');
				return balcony && Object.values(balcony.data_status).every((k) => k.state === 'fresh');
			},
			null,
			{ timeout: PANEL_TIMEOUT, polling: 500 }
		);
		await page.reload();
		await row.getByText('Data ready').waitFor();
		await row.getByText(/Last spring frost:\s*around \d{1,2} [A-Z][a-z]{2}/).waitFor();
		await checkAccessibility(page, 'plans list');

		// Rename, and Escape takes an edit back.
		await page.getByRole('button', { name: 'Rename Balcony' }).click();
		const rename = page.getByLabel('New name for Balcony');
		assert.equal(await rename.evaluate((el) => el === document.activeElement), true);
		await rename.fill('Something else');
		await page.keyboard.press('Escape');
		await rename.waitFor({ state: 'detached' });
		assert.equal(
			await page.evaluate(() => document.activeElement?.id?.startsWith('rename-button-')),
			true
		);
		await page.getByRole('link', { name: 'Balcony', exact: true }).waitFor();
		await page.getByRole('button', { name: 'Rename Balcony' }).click();
		await page.getByLabel('New name for Balcony').fill('Roof terrace');
		await page.getByRole('button', { name: 'Save' }).click();
		await page.getByRole('link', { name: 'Roof terrace' }).waitFor();

		// Archive: a visible confirmation with Undo; archived plans are a filter beside the active ones.
		await page.getByRole('button', { name: 'Archive Roof terrace' }).click();
		const toast = page.getByTestId('toast');
		await toast.getByText('“Roof terrace” archived.').waitFor();
		assert.equal(await toast.isVisible(), true);
		await page.getByRole('link', { name: 'Roof terrace' }).waitFor({ state: 'detached' });
		await checkAccessibility(page, 'plans list with a toast');
		await toast.getByRole('button', { name: 'Undo' }).click();
		await page.getByRole('link', { name: 'Roof terrace' }).waitFor();
		await page.getByRole('button', { name: 'Archive Roof terrace' }).click();
		await toast.getByText('“Roof terrace” archived.').waitFor();
		await page.getByLabel('Archived plans').check();
		await page.getByRole('link', { name: 'Roof terrace' }).waitFor();
		await checkAccessibility(page, 'plans list (archived)');
		await page.getByRole('button', { name: 'Make active Roof terrace' }).click();
		await page.getByText('No archived plans.').waitFor();
		await page.getByLabel('Active plans').check();

		// Delete: gone at once, a toast with Undo brings it back whole.
		const before = await page.evaluate(async () =>
			(await (await fetch('/api/v1/plans/')).json()).results.find((p) => p.name === 'Roof terrace')
		);
		await page.getByRole('button', { name: 'Delete Roof terrace' }).click();
		await toast.getByText('“Roof terrace” deleted.').waitFor();
		await page.getByRole('link', { name: 'Roof terrace' }).waitFor({ state: 'detached' });
		// The row with the focus is gone: the focus is on Undo.
		assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Undo');
		await screenshot(page, 'plans-list-undo-delete');
		await page.keyboard.press('Enter');
		await toast.getByText('“Roof terrace” is back.').waitFor();
		await page.getByRole('link', { name: 'Roof terrace' }).waitFor();
		const restored = await planOf(page, before.id);
		for (const key of ['name', 'latitude', 'longitude', 'address', 'created_at']) {
			assert.equal(restored[key], before[key], key);
		}

		// Deleted for good when nobody undoes it.
		await page.getByRole('button', { name: 'Delete Roof terrace' }).click();
		await toast.getByText('“Roof terrace” deleted.').waitFor();
		await toast.getByRole('button', { name: 'Dismiss this message' }).click();
		await toast.waitFor({ state: 'detached' });
		assert.equal((await planOf(page, before.id)).error.code, 'not_found');
	});

	test('plan page: edit the plan; panels fill in after polling, then show at once from the cache', async () => {
		const page = await newPage();
		// Slow upstreams, so the first visit surely finds nothing cached yet.
		await simulator(stack.simulatorUrl, '/__sim__/config', { latency_ms: 1500 });
		const seen = watchData(page);
		await createWithCoordinates(page, 'Allotment', '52.5200, 13.4050');
		const planUrl = page.url();

		// The climate panel is one step: a bar that only says "working", and words for people.
		const polling = await (
			await page.waitForFunction(() => {
				const panel = document.querySelector('[data-panel="climate"][data-status="polling"]');
				const bar = panel?.querySelector('progress');
				return panel && bar
					? {
							text: panel.textContent,
							value: bar.getAttribute('value'),
							max: bar.getAttribute('max')
						}
					: null;
			})
		).jsonValue();
		assert.match(polling.text, /Fetching 30 years of temperatures…/);
		assert.deepEqual([polling.value, polling.max], [null, null], 'an indeterminate bar');
		assert.doesNotMatch(polling.text, /\b0 \/ 1\b|0 of 1/);

		await page.getByText('Edit name and place').click();
		await page.getByLabel('Name', { exact: true }).fill('Changed my mind');
		// Escape takes the edit back.
		await page.keyboard.press('Escape');
		await page.getByLabel('Name', { exact: true }).waitFor({ state: 'hidden' });
		await page.getByText('Edit name and place').click();
		assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Allotment');
		await page.getByLabel('Name', { exact: true }).fill('Allotment by the canal');
		await page.getByRole('button', { name: 'Save' }).click();
		await page.getByRole('heading', { name: 'Allotment by the canal', level: 1 }).waitFor();

		await panelsReady(page);
		await simulator(stack.simulatorUrl, '/__sim__/reset');
		for (const [kind, path] of Object.entries(DATA)) {
			const answers = seen.filter((r) => r.path === path).map((r) => r.status);
			assert.equal(answers[0], 202, `${kind}: first answer ${JSON.stringify(answers)}`);
			assert.equal(answers.at(-1), 200, `${kind}: the result_url answer`);
		}
		assert.ok(
			seen.some((r) => r.path.startsWith('/api/v1/jobs/') && r.status === 200),
			'the jobs were polled'
		);
		await page.getByTestId('last-spring-frost').waitFor();
		// The site map: footprints drawn on it, and the canopy layer painted once it is turned on.
		const site = page.locator('[data-panel="site"]');
		const buildings = Number(
			await site.locator('svg[data-buildings]').getAttribute('data-buildings')
		);
		assert.ok(buildings > 0, 'the simulator maps buildings around every point');
		assert.equal(await site.locator('svg[data-buildings] path.building').count(), buildings);
		await site.getByLabel('Show tree canopy').check();
		const canopyLayer = site.getByTestId('canopy-layer');
		assert.equal(await canopyLayer.isVisible(), true, 'the canopy layer shows');
		assert.ok((await opaquePixels(canopyLayer)) > 0, 'the canopy layer has painted pixels');
		await site.getByLabel('Show tree canopy').uncheck();
		assert.equal(await canopyLayer.isVisible(), false, 'the canopy layer turns off');
		assert.ok((await opaquePixels(site.getByTestId('sun-heatmap'))) > 0, 'the sun heatmap');
		await checkAccessibility(page, 'plan page');
		await screenshot(page, 'plan-page-desktop');

		// Reload: every data request is answered from the cache at once.
		const again = watchData(page);
		const started = Date.now();
		await page.goto(planUrl);
		await panelsReady(page, 10_000);
		const elapsed = Date.now() - started;
		const dataAnswers = again.filter((r) => DATA_PATHS.includes(r.path));
		assert.equal(dataAnswers.length, DATA_PATHS.length, JSON.stringify(again));
		assert.deepEqual(
			dataAnswers.map((r) => r.status),
			DATA_PATHS.map(() => 200)
		);
		assert.equal(again.filter((r) => r.path.startsWith('/api/v1/jobs/')).length, 0);
		assert.ok(elapsed < 10_000, `reload took ${elapsed} ms`);

		await page.setViewportSize(PHONE);
		await page.reload();
		await panelsReady(page, 10_000);
		const overflow = await page.evaluate(
			() => document.documentElement.scrollWidth - document.documentElement.clientWidth
		);
		assert.ok(overflow <= 0, `the page scrolls sideways on a phone by ${overflow}px`);
		await checkAccessibility(page, 'plan page (phone)');
		await screenshot(page, 'plan-page-phone');
		await page.setViewportSize(DESKTOP);
	});

	test('the site map: sun hours of a month without a click, a month selector, a spot inspector that agrees with sun/point/, then at once from the cache', async () => {
		const page = await newPage();
		const seen = watchData(page);
		// A new place (no latency): the plan page must show the sun map within a minute, unasked.
		const started = Date.now();
		await createWithCoordinates(page, 'Sunny bed', '51.5910, -0.1250');
		const planUrl = page.url();
		const site = page.locator('[data-panel="site"]');
		await page
			.locator('[data-panel="site"][data-status="ready"], [data-panel="site"][data-status="error"]')
			.waitFor({ timeout: 60_000 });
		assert.equal(
			await site.getAttribute('data-status'),
			'ready',
			`the site map: ${await site.innerText()}`
		);
		console.log(`  the sun map was ready ${Date.now() - started} ms after Create plan`);
		const sunAnswers = seen.filter((r) => r.path === DATA.sun).map((r) => r.status);
		assert.equal(sunAnswers[0], 202, `a new place is computed: ${JSON.stringify(sunAnswers)}`);
		assert.ok(
			seen.some((r) => r.path.startsWith('/api/v1/jobs/')),
			'its job was polled'
		);

		// The heatmap is painted, every cell of the square.
		const heat = site.getByTestId('sun-heatmap');
		const size = await heat.evaluate((c) => c.width * c.height);
		assert.equal(await opaquePixels(heat), size, 'every cell of the square is painted');
		// The month shown first: this month in the growing season, else its next month (north: April).
		const now = new Date().getMonth() + 1;
		const first = now >= 4 && now <= 9 ? now : 4;
		assert.equal(Number(await heat.getAttribute('data-month')), first);
		const monthNames = [
			'January',
			'February',
			'March',
			'April',
			'May',
			'June',
			'July',
			'August',
			'September',
			'October',
			'November',
			'December'
		];
		assert.equal(await site.getByRole('radio', { name: monthNames[first - 1] }).isChecked(), true);
		const summaryText = await site.getByTestId('sun-summary').innerText();
		assert.match(
			summaryText,
			new RegExp(
				`^In ${monthNames[first - 1]}, \\d+ % of the ground gets full sun, \\d+ % part sun, \\d+ % part shade and \\d+ % shade;`
			)
		);
		// Its shares are the summary's (sun/summary/), in whole percent.
		const summary = await page.evaluate(
			async ([lat, lng]) => (await fetch(`/api/v1/sun/summary/?lat=${lat}&lng=${lng}`)).json(),
			[51.591, -0.125]
		);
		const shares = summary.months[first - 1].light;
		assert.ok(
			summaryText.includes(`${Math.round(shares.full_sun * 100)} % of the ground gets full sun`),
			`${summaryText} / ${JSON.stringify(shares)}`
		);

		// The month selector repaints the map; with the keyboard too (arrow keys between the radios).
		const painting = await canvasPixels(heat);
		await site.getByRole('radio', { name: 'December' }).check();
		await page.waitForFunction(
			() => document.querySelector('[data-testid="sun-heatmap"]')?.dataset.month === '12'
		);
		const december = await canvasPixels(heat);
		assert.notEqual(december, painting, 'December paints differently from the first month shown');
		// From the keyboard: the arrow keys move between the months (November, whose low sun
		// paints differently from the first month shown, though maybe not from December).
		await site.getByRole('radio', { name: 'December' }).focus();
		await page.keyboard.press('ArrowLeft');
		await page.waitForFunction(
			() => document.querySelector('[data-testid="sun-heatmap"]')?.dataset.month === '11'
		);
		assert.equal(await site.getByRole('radio', { name: 'November' }).isChecked(), true);
		assert.notEqual(await canvasPixels(heat), painting);
		await site.getByRole('radio', { name: 'June' }).check();

		// The spot inspector: at first the plan point; its 12 values are what sun/point/ answers there.
		const inspector = site.getByTestId('sun-spot');
		async function spotAgrees(what) {
			const shown = await inspector.evaluate((el) => ({
				hours: JSON.parse(el.dataset.hours),
				lat: el.dataset.lat,
				lng: el.dataset.lng,
				roof: el.dataset.roof === 'true',
				bars: el.querySelectorAll('rect.bar').length,
				words: el.querySelector('[data-testid="sun-spot-words"]').textContent
			}));
			const point = await page.evaluate(
				async ({ lat, lng }) => {
					const response = await fetch(`/api/v1/sun/point/?lat=${lat}&lng=${lng}`);
					return { status: response.status, body: await response.json() };
				},
				{ lat: shown.lat, lng: shown.lng }
			);
			assert.equal(point.status, 200, `${what}: sun/point/ ${JSON.stringify(point.body)}`);
			assert.equal(shown.hours.length, 12, what);
			assert.equal(shown.bars, shown.hours.filter((h) => h !== null).length, what);
			assert.deepEqual(
				shown.hours,
				point.body.months.map((m) => m.hours),
				`${what}: the inspector and sun/point/ at ${shown.lat}, ${shown.lng}`
			);
			assert.equal(shown.roof, point.body.roof, `${what}: on a roof or not`);
			const june = point.body.months[5];
			const words = {
				full_sun: 'full sun',
				part_sun: 'part sun',
				part_shade: 'part shade',
				shade: 'shade'
			};
			assert.equal(
				shown.words,
				`June: ${june.hours.toFixed(1)} h of direct sun a day, ${words[june.light]}.`,
				what
			);
			return shown;
		}
		const home = await spotAgrees('the plan point');
		await site.getByText('At the plan point').waitFor();
		// The keyboard: the focused map's arrow keys move the crosshair a metre at a time.
		await site.getByTestId('site-map').focus();
		for (const key of ['ArrowLeft', 'ArrowLeft', 'ArrowLeft', 'ArrowUp', 'ArrowUp']) {
			await page.keyboard.press(key);
		}
		await site.getByText(/^2 m north and 3 m west of the plan point$/).waitFor();
		const moved = await spotAgrees('three cells west, two north');
		assert.notDeepEqual([moved.lat, moved.lng], [home.lat, home.lng]);
		await page.keyboard.press('Home');
		await site.getByText('At the plan point').waitFor();
		// A click (or tap) a few metres south-east of the plan point.
		const box = await site.getByTestId('site-map').boundingBox();
		await site.getByTestId('site-map').click({
			position: { x: box.width * (0.5 + 6 / 160), y: box.height * (0.5 + 5 / 160) }
		});
		await site.getByText(/^\d m south and \d m east of the plan point$/).waitFor();
		await spotAgrees('a click south-east of the plan point');
		// A tap on a roof near the plan point (within the site, so sun/point/ reads the same raster).
		const roofAt = await site.getByTestId('site-map').evaluate((frame) => {
			const box = frame.getBoundingClientRect();
			const metres = box.width / 160;
			for (const path of frame.querySelectorAll('path.building')) {
				const r = path.getBoundingClientRect();
				const x = r.left + r.width / 2 - box.left;
				const y = r.top + r.height / 2 - box.top;
				const east = x / metres - 80;
				const north = 80 - y / metres;
				if (
					Math.abs(east) < 12 &&
					Math.abs(north) < 20 &&
					r.width > 3 * metres &&
					r.height > 3 * metres
				) {
					return { x, y };
				}
			}
			return null;
		});
		assert.ok(roofAt, 'a building close to the plan point');
		await site.getByTestId('site-map').click({ position: roofAt });
		await site.getByText(/, on a roof \(these are the roof’s hours\)$/).waitFor();
		const roof = await spotAgrees('a roof next to the plan point');
		assert.equal(roof.roof, true);

		await site.getByLabel('Show tree canopy').check();
		await checkAccessibility(page, 'plan page (site map, canopy on)');
		await screenshot(page, 'site-map');

		// The plans list says the site's light over the growing season (plan.facts.light).
		const plan = await planOf(page, planIdOf(planUrl));
		assert.ok(plan.facts.light, `facts.light: ${JSON.stringify(plan.facts)}`);
		assert.deepEqual(plan.facts.light.months, [4, 5, 6, 7, 8, 9]);
		const label = {
			full_sun: 'Full sun',
			part_sun: 'Part sun',
			part_shade: 'Part shade',
			shade: 'Shade'
		};
		await page.goto(`${stack.appUrl}/app`);
		await page
			.locator('li[data-plan="Sunny bed"]')
			.getByText(
				`${label[plan.facts.light.category]}, ${plan.facts.light.hours.toFixed(1)} h a day Apr–Sep`
			)
			.waitFor();

		// Opened again: everything from the cache at once, no job.
		const again = watchData(page);
		await page.goto(planUrl);
		await panelsReady(page, 10_000);
		const dataAnswers = again.filter((r) => DATA_PATHS.includes(r.path));
		assert.deepEqual(
			dataAnswers.map((r) => r.status),
			DATA_PATHS.map(() => 200),
			JSON.stringify(again)
		);
		assert.equal(again.filter((r) => r.path.startsWith('/api/v1/jobs/')).length, 0);
		assert.ok((await opaquePixels(site.getByTestId('sun-heatmap'))) > 0);
	});

	test('the units chosen on the account page are the chart’s and every height’s', async () => {
		const page = await newPage();
		await page.goto(`${stack.appUrl}/app`);
		await page.getByRole('link', { name: 'Allotment by the canal' }).click();
		await panelsReady(page, 10_000);
		const ticks = () =>
			page.locator('[data-panel="climate"] svg text[data-tick]').allTextContents();
		assert.ok(
			(await ticks()).every((t) => / °C$/.test(t)),
			JSON.stringify(await ticks())
		);
		await page.getByText('0 °C (frost)').waitFor();
		const celsius = await ticks();

		await page.goto(`${stack.appUrl}/app/account`);
		await checkAccessibility(page, 'account page');
		await page.getByLabel('US customary: °F and feet').check();
		await page.getByText('Saved: temperatures in °F, heights in feet.').waitFor();
		assert.equal(
			await page.evaluate(async () => (await (await fetch('/api/v1/users/me/')).json()).units),
			'imperial'
		);
		await page.goBack();
		await panelsReady(page, 10_000);
		await page.getByText('32 °F (frost)').waitFor();
		const fahrenheit = await ticks();
		assert.ok(
			fahrenheit.every((t) => / °F$/.test(t)),
			JSON.stringify(fahrenheit)
		);
		assert.notDeepEqual(fahrenheit, celsius);
		// The table and the maps speak feet and °F too.
		const site = page.locator('[data-panel="site"]');
		await site.getByText(/the tallest is \d+ ft\./).waitFor();
		await site.getByText(/The tallest trees nearby reach \d+ ft\./).waitFor();
		assert.match(await site.locator('figcaption').innerText(), /Trees, \d+ ft–\d+ ft/);
		assert.match(await site.locator('svg[data-buildings] .scale text').textContent(), /^\d+ ft$/);
		await page.getByText('Monthly values as a table').click();
		assert.match(await page.locator('[data-panel="climate"] table').innerText(), /°F/);
		await screenshot(page, 'plan-page-fahrenheit');

		await page.goto(`${stack.appUrl}/app/account`);
		await page.getByLabel('Metric: °C and metres').check();
		await page.getByText('Saved: temperatures in °C, heights in metres.').waitFor();
		await page.goBack();
		await page.getByText('0 °C (frost)').waitFor();
	});

	test('a failing upstream shows an error with a working retry', async () => {
		const page = await newPage();
		await simulator(stack.simulatorUrl, '/__sim__/config', {
			fail: { upstream: 'open_meteo', mode: '500' }
		});
		try {
			await createWithCoordinates(page, 'Hilltop', '-33.8688, 151.2093');
			const climate = page.locator('[data-panel="climate"]');
			await page
				.locator('[data-panel="climate"][data-status="error"]')
				.waitFor({ timeout: PANEL_TIMEOUT });
			await climate.getByRole('alert').getByText('Could not load the climate data').waitFor();
			await screenshot(page, 'plan-page-upstream-error');
		} finally {
			await simulator(stack.simulatorUrl, '/__sim__/reset');
		}
		const climate = page.locator('[data-panel="climate"]');
		await climate.getByRole('button', { name: 'Try again' }).click();
		await page
			.locator('[data-panel="climate"][data-status="ready"]')
			.waitFor({ timeout: PANEL_TIMEOUT });
		await page.getByTestId('last-spring-frost').waitFor();
	});

	test('the API docs render with no network beyond the site', async () => {
		const page = await context.newPage();
		const outside = [];
		await page.route('**/*', (route) => {
			const url = new URL(route.request().url());
			if (url.origin === stack.appUrl) return route.continue();
			outside.push(url.href);
			return route.abort('internetdisconnected');
		});
		try {
			await page.goto(`${stack.appUrl}/api/v1/docs/`);
			await page.locator('.swagger-ui .info .title').getByText('Solar Sim API').waitFor();
			await page.locator('.swagger-ui .opblock-tag').first().waitFor();
			await page.getByText('/api/v1/places/', { exact: true }).first().waitFor();
			await page.screenshot({ path: join(RESULTS, 'api-docs-offline.png') });
			await checkAccessibility(page, 'API docs (Swagger UI)');
			assert.deepEqual(outside, [], 'the docs asked for nothing outside the site');
		} finally {
			await page.close();
		}
	});

	test('deleting the account takes its plans, after the password', async () => {
		const page = await newPage();
		await page.goto(`${stack.appUrl}/app/account`);
		await page.getByTestId('account-email').getByText(email).waitFor();
		const plans = await page.evaluate(
			async () => (await (await fetch('/api/v1/plans/')).json()).count
		);
		assert.ok(plans > 0);
		await page.getByRole('button', { name: 'Delete my account…' }).click();
		const dialog = page.getByRole('dialog', { name: 'Delete your account for good?' });
		await dialog.waitFor();
		await checkAccessibility(page, 'account page (delete dialog)');
		await dialog.getByLabel('Your password, to confirm').fill('not-my-password');
		await dialog.getByRole('button', { name: 'Delete my account and plans' }).click();
		await dialog
			.getByRole('alert')
			.getByText('Password: this is not your current password.')
			.waitFor();
		await dialog.getByLabel('Your password, to confirm').fill(password);
		await dialog.getByRole('button', { name: 'Delete my account and plans' }).click();
		await page.waitForURL(/\/login\?account_deleted=1$/);
		await page.getByText('Your account and all its plans have been deleted.').waitFor();
		assert.equal(await page.evaluate(async () => (await fetch('/api/v1/users/me/')).status), 401);
		await page.getByLabel('Email').fill(email);
		await page.getByLabel('Password', { exact: true }).fill(password);
		await page.getByRole('button', { name: 'Log in' }).click();
		await page.getByRole('alert').waitFor();
		assert.match(page.url(), /\/login/);
	});
});
