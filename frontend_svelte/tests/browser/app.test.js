// Browser tests: Chromium driven by playwright-core against the full local
// stack (tests/browser/stack.js). Screenshots go to test-results/.
// scripts/test finds the browser (scripts/browser) and passes CHROMIUM_PATH.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { FRONTEND_DIR, simulator, startStack } from './stack.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RESULTS = join(FRONTEND_DIR, 'test-results');
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 1000 };
const DATA_PATHS = ['/api/v1/climate/summary/', '/api/v1/buildings/', '/api/v1/canopy/'];
// A slow first fetch (Open-Meteo's 30 years) can take a while through the worker.
const PANEL_TIMEOUT = 120_000;

let stack;
let context;
let userDataDir;
const kinds = ['climate', 'buildings', 'canopy'];
const password = 'Garden-beds-2026!';
const email = `gardener-${Date.now()}@example.com`;

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
	for (const id of kinds) {
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

async function screenshot(page, name) {
	await page.screenshot({ path: join(RESULTS, `${name}.png`), fullPage: true });
}

async function login(page) {
	await page.goto(`${stack.appUrl}/login`);
	await page.getByLabel('Email').fill(email);
	await page.getByLabel('Password', { exact: true }).fill(password);
	await page.getByRole('button', { name: 'Log in' }).click();
	await page.waitForURL(`${stack.appUrl}/app`);
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

	test('the app sends visitors who are not signed in to the login page', async () => {
		const page = await newPage();
		await page.goto(`${stack.appUrl}/app`);
		await page.waitForURL(/\/login\?next=%2Fapp/);
		await assert.doesNotReject(page.getByRole('heading', { name: 'Log in' }).waitFor());
	});

	test('register, with field errors first', async () => {
		const page = await newPage();
		await page.goto(`${stack.appUrl}/register`);
		await page.getByLabel('Name (optional)').fill('Ada Gardener');
		await page.getByLabel('Email').fill(email);
		await page.getByLabel('Password', { exact: true }).fill(password);
		await page.getByLabel('Password again').fill('something-else-entirely');
		await page.getByRole('button', { name: 'Create account' }).click();
		const alert = page.getByRole('alert');
		await alert.waitFor();
		// The error summary takes the focus so keyboard users land on it.
		assert.equal(await alert.evaluate((el) => el === document.activeElement), true);
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

	test('plans: create, rename, archive, restore, delete', async () => {
		const page = await newPage();
		await page.goto(`${stack.appUrl}/app`);
		// Validation happens before anything is sent.
		await page.getByRole('button', { name: 'Create plan' }).click();
		await page.getByText('Enter a latitude between -90 and 90.').waitFor();

		await page.getByLabel('Name', { exact: true }).fill('Balcony');
		await page.getByLabel('Latitude').fill('48.1374');
		await page.getByLabel('Longitude').fill('11.5755');
		await page.getByRole('button', { name: 'Create plan' }).click();
		await page.waitForURL(/\/app\/plans\/[0-9a-f-]{36}$/);
		await page.getByRole('heading', { name: 'Balcony', level: 1 }).waitFor();

		await page.goto(`${stack.appUrl}/app`);
		await page.getByRole('button', { name: 'Rename Balcony' }).click();
		const rename = page.getByLabel('New name for Balcony');
		assert.equal(await rename.evaluate((el) => el === document.activeElement), true);
		await rename.fill('Roof terrace');
		await page.getByRole('button', { name: 'Save' }).click();
		await page.getByRole('link', { name: 'Roof terrace' }).waitFor();

		await page.getByRole('button', { name: 'Archive Roof terrace' }).click();
		await page.getByText('No plans yet').waitFor();
		await page.getByLabel('Show archived plans').check();
		await page.getByRole('button', { name: 'Restore Roof terrace' }).click();
		await page.getByText('No archived plans.').waitFor();
		await page.getByLabel('Show archived plans').uncheck();

		page.once('dialog', (dialog) => dialog.accept());
		await page.getByRole('button', { name: 'Delete Roof terrace' }).click();
		await page.getByText('No plans yet').waitFor();
	});

	test('plan page: edit the plan; panels fill in after polling, then show at once from the cache', async () => {
		const page = await newPage();
		// Slow upstreams, so the first visit surely finds nothing cached yet.
		await simulator(stack.simulatorUrl, '/__sim__/config', { latency_ms: 1500 });
		await page.goto(`${stack.appUrl}/app`);
		await page.getByLabel('Name', { exact: true }).fill('Allotment');
		await page.getByLabel('Latitude').fill('52.5200');
		await page.getByLabel('Longitude').fill('13.4050');
		const seen = watchData(page);
		await page.getByRole('button', { name: 'Create plan' }).click();
		await page.waitForURL(/\/app\/plans\/[0-9a-f-]{36}$/);
		const planUrl = page.url();
		await page.getByRole('heading', { name: 'Allotment', level: 1 }).waitFor();

		await page.getByText('Edit name and location').click();
		await page.getByLabel('Name', { exact: true }).fill('Allotment by the canal');
		await page.getByRole('button', { name: 'Save' }).click();
		await page.getByRole('heading', { name: 'Allotment by the canal', level: 1 }).waitFor();

		// The climate panel shows its progress while the job runs.
		await page.locator('[data-panel="climate"][data-status="polling"]').waitFor();
		await page.locator('[data-panel="climate"] progress').waitFor();
		await panelsReady(page);
		await simulator(stack.simulatorUrl, '/__sim__/reset');
		for (const kind of kinds) {
			const path = DATA_PATHS.find((p) => p.includes(kind));
			const answers = seen.filter((r) => r.path === path).map((r) => r.status);
			assert.equal(answers[0], 202, `${kind}: first answer ${JSON.stringify(answers)}`);
			assert.equal(answers.at(-1), 200, `${kind}: the result_url answer`);
		}
		assert.ok(
			seen.some((r) => r.path.startsWith('/api/v1/jobs/') && r.status === 200),
			'the jobs were polled'
		);
		await page.getByTestId('last-spring-frost').waitFor();
		const buildings = Number(
			await page.locator('svg[data-buildings]').getAttribute('data-buildings')
		);
		assert.ok(buildings > 0, 'the simulator maps buildings around every point');
		const painted = await page.locator('[data-panel="canopy"] canvas').evaluate((canvas) => {
			const ctx = canvas.getContext('2d');
			const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
			let opaque = 0;
			for (let i = 3; i < data.length; i += 4) if (data[i] > 0) opaque++;
			return opaque;
		});
		assert.ok(painted > 0, 'the canopy canvas has painted pixels');
		await screenshot(page, 'plan-page-desktop');

		// Reload: every data request is answered from the cache at once.
		const again = watchData(page);
		const started = Date.now();
		await page.goto(planUrl);
		await panelsReady(page, 10_000);
		const elapsed = Date.now() - started;
		const dataAnswers = again.filter((r) => DATA_PATHS.includes(r.path));
		assert.equal(dataAnswers.length, kinds.length, JSON.stringify(again));
		assert.deepEqual(
			dataAnswers.map((r) => r.status),
			kinds.map(() => 200)
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
		await screenshot(page, 'plan-page-phone');
		await page.setViewportSize(DESKTOP);
	});

	test('a failing upstream shows an error with a working retry', async () => {
		const page = await newPage();
		await simulator(stack.simulatorUrl, '/__sim__/config', {
			fail: { upstream: 'open_meteo', mode: '500' }
		});
		try {
			await page.goto(`${stack.appUrl}/app`);
			await page.getByLabel('Name', { exact: true }).fill('Hilltop');
			await page.getByLabel('Latitude').fill('-33.8688');
			await page.getByLabel('Longitude').fill('151.2093');
			await page.getByRole('button', { name: 'Create plan' }).click();
			await page.waitForURL(/\/app\/plans\/[0-9a-f-]{36}$/);
			const climate = page.locator('[data-panel="climate"]');
			await climate
				.locator('[data-status="error"], :scope[data-status="error"]')
				.or(page.locator('[data-panel="climate"][data-status="error"]'))
				.first()
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
});
