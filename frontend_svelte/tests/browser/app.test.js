// Browser tests: Playwright Test against the full local stack (stack.js,
// started by playwright.config.ts). Tests tagged @phone run in the phone
// project, the others on a desktop. Each test has its own account and places,
// so they run in parallel, in the order written as far as their locks allow:
// - the failing-upstream test makes Open-Meteo fail for everyone, so it never
//   runs beside a test that needs Open-Meteo's data (each of those, here and
//   in the other files, holds a lock of its own, `openMeteo(name)` of
//   fixtures.js, and the failing test holds them all);
//   it comes first, beside the tests that need no climate data;
// - the plan page test slows the data upstreams down for a while: the tests
//   beside it take longer, no more.
// Screenshots go to the test's folder of test-results/, and axe.json there
// has the accessibility check of every page.
import {
	DATA,
	DATA_PATHS,
	OPEN_METEO_USERS,
	PANEL_TIMEOUT,
	PASSWORD,
	PORTLAND,
	api,
	canvasPixels,
	checkAccessibility,
	createPlan,
	createWithCoordinates,
	expect,
	login,
	opaquePixels,
	openMeteo,
	openNewPlan,
	panelReady,
	panelsReady,
	planIdOf,
	planOf,
	screenshot,
	sidewaysScroll,
	tabTo,
	test,
	watchData
} from './fixtures.js';

const MONTHS = [
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

test(
	'a failing upstream shows an error with a working retry',
	{
		// Open-Meteo fails for every test running at the time.
		lock: OPEN_METEO_USERS.map(openMeteo)
	},
	async ({ page, simulator, account: _ }) => {
		await simulator.configure({ fail: { upstream: 'open_meteo', mode: '500' } });
		const climate = page.locator('[data-panel="climate"]');
		try {
			await createWithCoordinates(page, 'Hilltop', '-33.8688, 151.2093');
			await expect(climate).toHaveAttribute('data-status', 'error', { timeout: PANEL_TIMEOUT });
			await expect(
				climate.getByRole('alert').getByText('Could not load the climate data')
			).toBeVisible();
			await screenshot(page, 'plan-page-upstream-error');
		} finally {
			await simulator.reset();
		}
		await climate.getByRole('button', { name: 'Try again' }).click();
		await expect(climate).toHaveAttribute('data-status', 'ready', { timeout: PANEL_TIMEOUT });
		await expect(page.getByTestId('last-spring-frost')).toBeVisible();
	}
);

test(
	'plan page: edit the plan; panels fill in after polling, then show at once from the cache',
	{
		// Its slow upstreams slow down the tests running beside it, no more.
		lock: openMeteo('plan page')
	},
	async ({ page, simulator, account: _ }) => {
		// Slow data upstreams, so the first visit surely finds nothing cached yet
		// (each well within its read timeout: 3 s, and 2 s for canopy tiles).
		await simulator.configure({ latency_ms: 1500, upstream: 'open_meteo' });
		await simulator.configure({ latency_ms: 1500, upstream: 'overpass' });
		await simulator.configure({ latency_ms: 1000, upstream: 'canopy' });
		const seen = watchData(page);
		await createWithCoordinates(page, 'Allotment', '52.5200, 13.4050');
		const planUrl = page.url();

		// The climate panel is one step: a bar that only says "working", and words for people.
		const polling = page.locator('[data-panel="climate"][data-status="polling"]');
		await expect(polling.locator('progress')).toBeAttached();
		const shown = await polling.evaluate((panel) => {
			const bar = panel.querySelector('progress');
			return {
				text: panel.textContent,
				value: bar.getAttribute('value'),
				max: bar.getAttribute('max')
			};
		});
		expect(shown.text).toMatch(/Fetching 30 years of temperatures…/);
		expect([shown.value, shown.max], 'an indeterminate bar').toEqual([null, null]);
		expect(shown.text).not.toMatch(/\b0 \/ 1\b|0 of 1/);

		await page.getByText('Edit name and place').click();
		await page.getByLabel('Name', { exact: true }).fill('Changed my mind');
		// Escape takes the edit back.
		await page.keyboard.press('Escape');
		await expect(page.getByLabel('Name', { exact: true })).toBeHidden();
		await page.getByText('Edit name and place').click();
		await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Allotment');
		await page.getByLabel('Name', { exact: true }).fill('Allotment by the canal');
		await page.getByRole('button', { name: 'Save' }).click();
		await expect(
			page.getByRole('heading', { name: 'Allotment by the canal', level: 1 })
		).toBeVisible();

		await panelsReady(page);
		await simulator.reset();
		for (const [kind, path] of Object.entries(DATA)) {
			const answers = seen.filter((r) => r.path === path).map((r) => r.status);
			expect(answers[0], `${kind}: first answer ${JSON.stringify(answers)}`).toBe(202);
			expect(answers.at(-1), `${kind}: the result_url answer`).toBe(200);
		}
		expect(
			seen.some((r) => r.path.startsWith('/api/v1/jobs/') && r.status === 200),
			'the jobs were polled'
		).toBe(true);
		await expect(page.getByTestId('last-spring-frost')).toBeVisible();
		// The site map: footprints drawn on it, and the canopy layer painted once it is turned on.
		const site = page.locator('[data-panel="site"]');
		const buildings = Number(
			await site.locator('svg[data-buildings]').getAttribute('data-buildings')
		);
		expect(buildings, 'the simulator maps buildings around every point').toBeGreaterThan(0);
		await expect(site.locator('svg[data-buildings] path.building')).toHaveCount(buildings);
		await site.getByLabel('Show tree canopy').check();
		const canopyLayer = site.getByTestId('canopy-layer');
		await expect(canopyLayer, 'the canopy layer shows').toBeVisible();
		await expect
			.poll(() => opaquePixels(canopyLayer), { message: 'the canopy layer has painted pixels' })
			.toBeGreaterThan(0);
		await site.getByLabel('Show tree canopy').uncheck();
		await expect(canopyLayer, 'the canopy layer turns off').toBeHidden();
		await expect
			.poll(() => opaquePixels(site.getByTestId('sun-heatmap')), { message: 'the sun heatmap' })
			.toBeGreaterThan(0);
		await checkAccessibility(page, 'plan page');
		await screenshot(page, 'plan-page-desktop');

		// Reload: every data request is answered from the cache at once.
		const again = watchData(page);
		const started = Date.now();
		await page.goto(planUrl);
		await panelsReady(page, 10_000);
		const elapsed = Date.now() - started;
		const dataAnswers = again.filter((r) => DATA_PATHS.includes(r.path));
		expect(dataAnswers.length, JSON.stringify(again)).toBe(DATA_PATHS.length);
		expect(dataAnswers.map((r) => r.status)).toEqual(DATA_PATHS.map(() => 200));
		expect(again.filter((r) => r.path.startsWith('/api/v1/jobs/'))).toHaveLength(0);
		expect(elapsed, `reload took ${elapsed} ms`).toBeLessThan(10_000);
	}
);

test(
	'the site map: sun hours of a month without a click, a month selector, a spot inspector that agrees with sun/point/, then at once from the cache',
	{ lock: openMeteo('site map') },
	async ({ page, account: _ }) => {
		const seen = watchData(page);
		// A new place: the plan page must show the sun map within a minute, unasked (with
		// no latency of its own; the plan page test's may be slowing the upstreams down).
		const started = Date.now();
		await createWithCoordinates(page, 'Sunny bed', '51.5910, -0.1250');
		const planUrl = page.url();
		const site = page.locator('[data-panel="site"]');
		await panelReady(page, 'site', 60_000);
		console.log(`the sun map was ready ${Date.now() - started} ms after Create plan`);
		const sunAnswers = seen.filter((r) => r.path === DATA.sun).map((r) => r.status);
		expect(sunAnswers[0], `a new place is computed: ${JSON.stringify(sunAnswers)}`).toBe(202);
		expect(
			seen.some((r) => r.path.startsWith('/api/v1/jobs/')),
			'its job was polled'
		).toBe(true);

		// The heatmap is painted, every cell of the square.
		const heat = site.getByTestId('sun-heatmap');
		const size = await heat.evaluate((c) => c.width * c.height);
		await expect
			.poll(() => opaquePixels(heat), { message: 'every cell of the square is painted' })
			.toBe(size);
		// The month shown first: this month in the growing season, else its next month (north: April).
		const now = new Date().getMonth() + 1;
		const first = now >= 4 && now <= 9 ? now : 4;
		await expect(heat).toHaveAttribute('data-month', String(first));
		await expect(site.getByRole('radio', { name: MONTHS[first - 1] })).toBeChecked();
		const summaryText = site.getByTestId('sun-summary');
		await expect(summaryText).toHaveText(
			new RegExp(
				`^In ${MONTHS[first - 1]}, \\d+ % of the ground gets full sun, \\d+ % part sun, \\d+ % part shade and \\d+ % shade;`
			)
		);
		// Its shares are the summary's (sun/summary/), in whole percent.
		const summary = await api(page, 'GET', '/api/v1/sun/summary/?lat=51.591&lng=-0.125');
		const shares = summary.months[first - 1].light;
		await expect(summaryText, JSON.stringify(shares)).toContainText(
			`${Math.round(shares.full_sun * 100)} % of the ground gets full sun`
		);

		// The month selector repaints the map; with the keyboard too (arrow keys between the radios).
		const painting = await canvasPixels(heat);
		await site.getByRole('radio', { name: 'December' }).check();
		await expect(heat).toHaveAttribute('data-month', '12');
		await expect
			.poll(() => canvasPixels(heat), {
				message: 'December paints differently from the first month shown'
			})
			.not.toBe(painting);
		// From the keyboard: the arrow keys move between the months (November, whose low sun
		// paints differently from the first month shown, though maybe not from December).
		await site.getByRole('radio', { name: 'December' }).focus();
		await page.keyboard.press('ArrowLeft');
		await expect(heat).toHaveAttribute('data-month', '11');
		await expect(site.getByRole('radio', { name: 'November' })).toBeChecked();
		await expect.poll(() => canvasPixels(heat)).not.toBe(painting);
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
			const point = await api(page, 'GET', `/api/v1/sun/point/?lat=${shown.lat}&lng=${shown.lng}`);
			expect(shown.hours, what).toHaveLength(12);
			expect(shown.bars, what).toBe(shown.hours.filter((h) => h !== null).length);
			expect(
				shown.hours,
				`${what}: the inspector and sun/point/ at ${shown.lat}, ${shown.lng}`
			).toEqual(point.months.map((m) => m.hours));
			expect(shown.roof, `${what}: on a roof or not`).toBe(point.roof);
			const june = point.months[5];
			const words = {
				full_sun: 'full sun',
				part_sun: 'part sun',
				part_shade: 'part shade',
				shade: 'shade'
			};
			expect(shown.words, what).toBe(
				`June: ${june.hours.toFixed(1)} h of direct sun a day, ${words[june.light]}.`
			);
			return shown;
		}
		const home = await spotAgrees('the plan point');
		await expect(site.getByText('At the plan point')).toBeVisible();
		// The keyboard: the focused map's arrow keys move the crosshair a metre at a time.
		await site.getByTestId('site-map').focus();
		for (const key of ['ArrowLeft', 'ArrowLeft', 'ArrowLeft', 'ArrowUp', 'ArrowUp']) {
			await page.keyboard.press(key);
		}
		await expect(site.getByText(/^2 m north and 3 m west of the plan point$/)).toBeVisible();
		const moved = await spotAgrees('three cells west, two north');
		expect([moved.lat, moved.lng]).not.toEqual([home.lat, home.lng]);
		await page.keyboard.press('Home');
		await expect(site.getByText('At the plan point')).toBeVisible();
		// A click (or tap) a few metres south-east of the plan point.
		const box = await site.getByTestId('site-map').boundingBox();
		await site.getByTestId('site-map').click({
			position: { x: box.width * (0.5 + 6 / 160), y: box.height * (0.5 + 5 / 160) }
		});
		await expect(site.getByText(/^\d m south and \d m east of the plan point$/)).toBeVisible();
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
		expect(roofAt, 'a building close to the plan point').toBeTruthy();
		await site.getByTestId('site-map').click({ position: roofAt });
		await expect(site.getByText(/, on a roof \(these are the roof’s hours\)$/)).toBeVisible();
		const roof = await spotAgrees('a roof next to the plan point');
		expect(roof.roof).toBe(true);

		await site.getByLabel('Show tree canopy').check();
		await checkAccessibility(page, 'plan page (site map, canopy on)');
		await screenshot(page, 'site-map');

		// The plans list says the site's light over the growing season (plan.facts.light).
		const plan = await planOf(page, planIdOf(planUrl));
		expect(plan.facts.light, `facts.light: ${JSON.stringify(plan.facts)}`).toBeTruthy();
		expect(plan.facts.light.months).toEqual([4, 5, 6, 7, 8, 9]);
		const label = {
			full_sun: 'Full sun',
			part_sun: 'Part sun',
			part_shade: 'Part shade',
			shade: 'Shade'
		};
		await page.goto('/app');
		await expect(
			page
				.locator('li[data-plan="Sunny bed"]')
				.getByText(
					`${label[plan.facts.light.category]}, ${plan.facts.light.hours.toFixed(1)} h a day Apr–Sep`
				)
		).toBeVisible();

		// Opened again: everything from the cache at once, no job.
		const again = watchData(page);
		await page.goto(planUrl);
		await panelsReady(page, 10_000);
		const dataAnswers = again.filter((r) => DATA_PATHS.includes(r.path));
		expect(
			dataAnswers.map((r) => r.status),
			JSON.stringify(again)
		).toEqual(DATA_PATHS.map(() => 200));
		expect(again.filter((r) => r.path.startsWith('/api/v1/jobs/'))).toHaveLength(0);
		await expect.poll(() => opaquePixels(site.getByTestId('sun-heatmap'))).toBeGreaterThan(0);
	}
);

test(
	'the units chosen on the account page are the chart’s and every height’s',
	{
		lock: openMeteo('units')
	},
	async ({ page, account: _ }) => {
		const id = await createPlan(page, 'Allotment by the canal');
		await page.goto('/app');
		await page.getByRole('link', { name: 'Allotment by the canal' }).click();
		await expect(page).toHaveURL(`/app/plans/${id}`);
		await panelsReady(page);
		const ticks = page.locator('[data-panel="climate"] svg text[data-tick]');
		await expect(page.getByText('0 °C (frost)')).toBeVisible();
		const celsius = await ticks.allTextContents();
		expect(
			celsius.every((t) => / °C$/.test(t)),
			JSON.stringify(celsius)
		).toBe(true);

		await page.goto('/app/account');
		await checkAccessibility(page, 'account page');
		await page.getByLabel('US customary: °F and feet').check();
		await expect(page.getByText('Saved: temperatures in °F, heights in feet.')).toBeVisible();
		expect((await api(page, 'GET', '/api/v1/users/me/')).units).toBe('imperial');
		await page.goBack();
		await panelsReady(page, 10_000);
		await expect(page.getByText('32 °F (frost)')).toBeVisible();
		const fahrenheit = await ticks.allTextContents();
		expect(
			fahrenheit.every((t) => / °F$/.test(t)),
			JSON.stringify(fahrenheit)
		).toBe(true);
		expect(fahrenheit).not.toEqual(celsius);
		// The table and the maps speak feet and °F too.
		const site = page.locator('[data-panel="site"]');
		await expect(site.getByText(/the tallest is \d+ ft\./)).toBeVisible();
		await expect(site.getByText(/The tallest trees nearby reach \d+ ft\./)).toBeVisible();
		await expect(site.locator('figcaption')).toContainText(/Trees, \d+ ft–\d+ ft/);
		await expect(site.locator('svg[data-buildings] .scale text')).toHaveText(/^\d+ ft$/);
		await page.getByText('Monthly values as a table').click();
		await expect(page.locator('[data-panel="climate"] table')).toContainText('°F');
		await screenshot(page, 'plan-page-fahrenheit');

		await page.goto('/app/account');
		await page.getByLabel('Metric: °C and metres').check();
		await expect(page.getByText('Saved: temperatures in °C, heights in metres.')).toBeVisible();
		await page.goBack();
		await expect(page.getByText('0 °C (frost)')).toBeVisible();
	}
);

test(
	'plans list: each plan at a glance; rename, Escape, archive and delete with Undo',
	{
		lock: openMeteo('plans list')
	},
	async ({ page, account: _ }) => {
		await createPlan(page, 'Balcony');
		await page.goto('/app');
		// Validation happens before anything is sent.
		const dialog = await openNewPlan(page);
		await dialog.getByRole('button', { name: 'Create plan' }).click();
		await expect(dialog.getByRole('alert').getByText('Name: give the plan a name.')).toBeVisible();
		await expect(dialog.getByText('Choose where it is: search for a town').first()).toBeVisible();
		await dialog.getByRole('button', { name: 'Cancel' }).click();
		await expect(dialog).toBeHidden();
		// The focus is back on the button that opened it.
		await expect(page.getByRole('button', { name: 'New plan' })).toBeFocused();

		const row = page.locator('li[data-plan="Balcony"]');
		await expect(row.getByText(PORTLAND)).toBeVisible();
		// Its data arrives in the background (prefetch), and the list says so, with the last frost.
		await expect
			.poll(
				async () => {
					const { results } = await api(page, 'GET', '/api/v1/plans/');
					const balcony = results.find((p) => p.name === 'Balcony');
					return Object.values(balcony.data_status).every((k) => k.state === 'fresh');
				},
				{ message: 'the plan’s data is fetched', timeout: PANEL_TIMEOUT }
			)
			.toBe(true);
		await page.reload();
		await expect(row.getByText('Data ready')).toBeVisible();
		await expect(row.getByText(/Last spring frost:\s*around \d{1,2} [A-Z][a-z]{2}/)).toBeVisible();
		await checkAccessibility(page, 'plans list');

		// Rename, and Escape takes an edit back.
		await page.getByRole('button', { name: 'Rename Balcony' }).click();
		const rename = page.getByLabel('New name for Balcony');
		await expect(rename).toBeFocused();
		await rename.fill('Something else');
		await page.keyboard.press('Escape');
		await expect(rename).toHaveCount(0);
		await expect(page.locator(':focus')).toHaveAttribute('id', /^rename-button-/);
		await expect(page.getByRole('link', { name: 'Balcony', exact: true })).toBeVisible();
		await page.getByRole('button', { name: 'Rename Balcony' }).click();
		await page.getByLabel('New name for Balcony').fill('Roof terrace');
		await page.getByRole('button', { name: 'Save' }).click();
		await expect(page.getByRole('link', { name: 'Roof terrace' })).toBeVisible();

		// Archive: a visible confirmation with Undo; archived plans are a filter beside the active ones.
		await page.getByRole('button', { name: 'Archive Roof terrace' }).click();
		const toast = page.getByTestId('toast');
		await expect(toast.getByText('“Roof terrace” archived.')).toBeVisible();
		await expect(toast).toBeVisible();
		await expect(page.getByRole('link', { name: 'Roof terrace' })).toHaveCount(0);
		await checkAccessibility(page, 'plans list with a toast');
		await toast.getByRole('button', { name: 'Undo' }).click();
		await expect(page.getByRole('link', { name: 'Roof terrace' })).toBeVisible();
		await page.getByRole('button', { name: 'Archive Roof terrace' }).click();
		await expect(toast.getByText('“Roof terrace” archived.')).toBeVisible();
		await page.getByLabel('Archived plans').check();
		await expect(page.getByRole('link', { name: 'Roof terrace' })).toBeVisible();
		await checkAccessibility(page, 'plans list (archived)');
		await page.getByRole('button', { name: 'Make active Roof terrace' }).click();
		await expect(page.getByText('No archived plans.')).toBeVisible();
		await page.getByLabel('Active plans').check();

		// Delete: gone at once, a toast with Undo brings it back whole.
		const before = (await api(page, 'GET', '/api/v1/plans/')).results.find(
			(p) => p.name === 'Roof terrace'
		);
		await page.getByRole('button', { name: 'Delete Roof terrace' }).click();
		await expect(toast.getByText('“Roof terrace” deleted.')).toBeVisible();
		await expect(page.getByRole('link', { name: 'Roof terrace' })).toHaveCount(0);
		// The row with the focus is gone: the focus is on Undo.
		await expect(page.locator(':focus')).toHaveText('Undo');
		await screenshot(page, 'plans-list-undo-delete');
		await page.keyboard.press('Enter');
		await expect(toast.getByText('“Roof terrace” is back.')).toBeVisible();
		await expect(page.getByRole('link', { name: 'Roof terrace' })).toBeVisible();
		const restored = await planOf(page, before.id);
		for (const key of ['name', 'latitude', 'longitude', 'address', 'created_at']) {
			expect(restored[key], key).toEqual(before[key]);
		}

		// Deleted for good when nobody undoes it.
		await page.getByRole('button', { name: 'Delete Roof terrace' }).click();
		await expect(toast.getByText('“Roof terrace” deleted.')).toBeVisible();
		await toast.getByRole('button', { name: 'Dismiss this message' }).click();
		await expect(toast).toHaveCount(0);
		expect((await planOf(page, before.id)).error.code).toBe('not_found');
	}
);

test(
	'the plan page on a phone: every panel, no sideways scrolling',
	{ tag: '@phone', lock: openMeteo('phone plan page') },
	async ({ page, account: _ }) => {
		const id = await createPlan(page, 'Balcony');
		await page.goto(`/app/plans/${id}`);
		await panelsReady(page);
		expect(await sidewaysScroll(page), 'the page scrolls sideways on a phone').toBeLessThanOrEqual(
			0
		);
		await checkAccessibility(page, 'plan page (phone)');
		await screenshot(page, 'plan-page-phone');
	}
);

test('pasted coordinates in each common form, and Use my location, fill the place', async ({
	page,
	context,
	baseURL,
	account: _
}) => {
	// 45.52, -122.68 and 45°31′N 122°41′W are both in Portland, Oregon (within the simulator's 0.5°).
	for (const [name, text, lat, lng] of [
		['Decimal', '45.52, -122.68', 45.52, -122.68],
		['Minutes', '45°31′N 122°41′W', 45.5166667, -122.6833333],
		['Letters', '45.52 N 122.68 W', 45.52, -122.68]
	]) {
		const id = await createWithCoordinates(page, name, text);
		const plan = await planOf(page, id);
		expect([plan.latitude, plan.longitude], text).toEqual([lat, lng]);
		// The address was looked up for the point (places/reverse/).
		expect(plan.address, text).toMatch(new RegExp(`, ${PORTLAND}$`));
		await expect(page.getByTestId('plan-address')).toHaveText(plan.address);
	}

	// A bad paste is explained, next to the field, before anything is saved.
	await page.goto('/app');
	let dialog = await openNewPlan(page);
	await dialog.getByLabel('Name', { exact: true }).fill('Nowhere');
	await dialog.getByLabel('Or coordinates').fill('91, 10');
	await dialog.getByRole('button', { name: 'Create plan' }).click();
	await expect(dialog.getByText('The latitude must be between 90° S and 90° N.')).toBeVisible();
	await page.keyboard.press('Escape');
	await expect(dialog).toBeHidden();

	await context.grantPermissions(['geolocation'], { origin: baseURL });
	await context.setGeolocation({ latitude: 48.1372, longitude: 11.5756 });
	dialog = await openNewPlan(page);
	await dialog.getByLabel('Name', { exact: true }).fill('Here');
	await dialog.getByRole('button', { name: 'Use my location' }).click();
	await expect(
		dialog.getByTestId('new-chosen').getByText(/, Munich, Bavaria, Germany$/)
	).toBeVisible();
	await dialog.getByRole('button', { name: 'Create plan' }).click();
	await expect(page).toHaveURL(/\/app\/plans\/[0-9a-f-]{36}$/);
	const here = await planOf(page, planIdOf(page.url()));
	expect([here.latitude, here.longitude]).toEqual([48.1372, 11.5756]);
	expect(here.address).toMatch(/, Munich, Bavaria, Germany$/);
});

test(
	'on a phone, with the keyboard alone: type a town, pick it, create the plan',
	{ tag: '@phone' },
	async ({ page, account: _ }) => {
		await page.goto('/app');
		await expect(page.getByText('No plans yet')).toBeVisible();
		await checkAccessibility(page, 'plans list (empty, phone)');
		await tabTo(page, page.getByRole('button', { name: 'New plan' }));
		await page.keyboard.press('Enter');
		const dialog = page.getByRole('dialog', { name: 'New plan' });
		await expect(dialog).toBeVisible();
		await expect(page.locator('#new-name')).toBeFocused();
		await page.keyboard.type('Balcony');
		await tabTo(page, page.locator('#new-search'));
		await page.keyboard.type('Portland, OR');
		await page.keyboard.press('Enter'); // searches; does not submit the form
		// The best match is chosen and focused: the person can check it and go on.
		await expect(page.locator('#new-place-0')).toBeFocused();
		await expect(dialog.getByRole('radio', { name: PORTLAND })).toBeChecked();
		await expect(dialog.getByTestId('new-chosen').getByText(PORTLAND)).toBeVisible();
		await expect(dialog.getByText('© OpenStreetMap contributors')).toBeVisible();
		expect(
			await sidewaysScroll(page),
			'the dialog scrolls sideways on a phone'
		).toBeLessThanOrEqual(0);
		await checkAccessibility(page, 'new plan dialog with results (phone)');
		await screenshot(page, 'new-plan-search-phone');
		await tabTo(page, dialog.getByRole('button', { name: 'Create plan' }));
		await page.keyboard.press('Enter');
		await expect(page).toHaveURL(/\/app\/plans\/[0-9a-f-]{36}$/);
		await expect(page.getByRole('heading', { name: 'Balcony', level: 1 })).toBeFocused();
		await expect(page.getByTestId('plan-address')).toHaveText(PORTLAND);
		const plan = await planOf(page, planIdOf(page.url()));
		expect([plan.latitude, plan.longitude, plan.address]).toEqual([
			45.5202471,
			-122.674194,
			PORTLAND
		]);
	}
);

test('public pages are prerendered HTML, the app is the SPA fallback', async ({ request }) => {
	expect(await (await request.get('/')).text()).toMatch(
		/Plan a garden around sun, frost and shade/
	);
	expect(await (await request.get('/about')).text()).toMatch(/About Solar Sim/);
	const app = await (await request.get('/app/plans/whatever')).text();
	expect(app).not.toMatch(/Plan a garden/);
	expect(app).toMatch(/_app\/immutable/);
});

test('public pages pass the accessibility check', async ({ page }) => {
	for (const [path, name] of [
		['/', 'landing'],
		['/about', 'about'],
		['/login', 'login'],
		['/register', 'register'],
		['/forgot-password', 'forgot-password'],
		['/reset-password', 'reset-password (incomplete link)'],
		['/verify-email', 'verify-email (no key)']
	]) {
		await page.goto(path);
		await expect(page.locator('main h1')).toBeVisible();
		await checkAccessibility(page, name);
	}
});

test('an unknown address is a 404 page inside the site, with a way back', async ({ page }) => {
	await page.goto('/no-such-page');
	await expect(
		page.getByRole('heading', { name: 'Page not found', exact: true, level: 1 })
	).toBeVisible();
	await expect(page.getByText('Not Found', { exact: true })).toHaveCount(0);
	await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
	await checkAccessibility(page, '404 page');
	await page.getByRole('link', { name: 'Go to the Solar Sim home page' }).click();
	await expect(page).toHaveURL('/');
});

test('the app sends visitors who are not signed in to the login page', async ({ page }) => {
	await page.goto('/app');
	await expect(page).toHaveURL(/\/login\?next=%2Fapp/);
	await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
});

test('register, with field errors first, named as the form names them', async ({ page }) => {
	await page.goto('/register');
	await page.getByLabel('Name (optional)').fill('Ada Gardener');
	await page.getByLabel('Email').fill(`gardener-${crypto.randomUUID()}@example.com`);
	await page.getByLabel('Password', { exact: true }).fill('password');
	await page.getByLabel('Password again').fill('password');
	await page.getByRole('button', { name: 'Create account' }).click();
	const alert = page.getByRole('alert');
	// The error summary takes the focus so keyboard users land on it.
	await expect(alert).toBeFocused();
	await expect(alert).toContainText('Password: this password is too common.');
	await expect(alert).not.toContainText('password1');
	await checkAccessibility(page, 'register (errors)');
	// The summary links to the field.
	await alert.getByRole('link', { name: /^Password:/ }).click();
	await expect(page.locator('#password1')).toBeFocused();

	await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
	await page.getByLabel('Password again').fill(PASSWORD);
	await page.getByRole('button', { name: 'Create account' }).click();
	await expect(page).toHaveURL('/app');
	await expect(page.getByText('Ada Gardener')).toBeVisible();
});

test('log out, a wrong password, log in', async ({ page, account }) => {
	await page.goto('/app');
	await page.getByRole('button', { name: 'Log out' }).click();
	await expect(page).toHaveURL(/\/login\?signed_out=1/);
	await page.getByLabel('Email').fill(account.email);
	await page.getByLabel('Password', { exact: true }).fill('not-the-password');
	await page.getByRole('button', { name: 'Log in' }).click();
	await expect(page.getByRole('alert')).toBeVisible();
	await login(page, account);
});

test('forgotten password sends the link', async ({ page, account }) => {
	await page.goto('/app');
	await page.getByRole('button', { name: 'Log out' }).click();
	await expect(page).toHaveURL(/\/login\?signed_out=1/);
	await page.goto('/forgot-password');
	await page.getByLabel('Email').fill(account.email);
	await page.getByRole('button', { name: 'Send the link' }).click();
	await expect(page.getByText('we have sent it a link')).toBeVisible();
	await page.goto('/reset-password?uid=x&token=y');
	await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
	await page.getByLabel('New password again').fill(PASSWORD);
	await page.getByRole('button', { name: 'Save the new password' }).click();
	await expect(page.getByRole('alert')).toBeVisible();
	await login(page, account);
});

test('a signed-in person: landing shows their plans, login and register send them on, focus follows pages', async ({
	page,
	account: _
}) => {
	await page.goto('/');
	await expect(page.getByRole('main').getByRole('link', { name: 'Your plans' })).toBeVisible();
	await expect(page.getByRole('link', { name: 'Log in' })).toHaveCount(0);
	for (const path of ['/login', '/register']) {
		await page.goto(path);
		await expect(page).toHaveURL('/app');
	}
	await page.goto('/login?next=%2Fapp%2Faccount');
	await expect(page).toHaveURL('/app/account');
	// After moving to another page the focus is on its main heading.
	await page
		.getByRole('navigation', { name: 'Main' })
		.getByRole('link', { name: 'Your plans' })
		.click();
	await expect(page).toHaveURL('/app');
	await expect(
		page.getByRole('heading', { name: 'Your plans', exact: true, level: 1 })
	).toBeFocused();
	// An unknown address, for a signed-in person: a way back to the plans.
	await page.goto('/app/no-such-page');
	await expect(
		page.getByRole('heading', { name: 'Page not found', exact: true, level: 1 })
	).toBeVisible();
	await checkAccessibility(page, '404 page (signed in)');
	await page.getByRole('main').getByRole('link', { name: 'Go to your plans' }).click();
	await expect(page).toHaveURL('/app');
	// A plan that is not there: the app's own page, inside the app.
	await page.goto('/app/plans/00000000-0000-4000-8000-000000000000');
	await expect(
		page.getByRole('heading', { name: 'Not found', exact: true, level: 1 })
	).toBeVisible();
	await expect(
		page.getByText('There is no such plan, or it belongs to someone else.')
	).toBeVisible();
	await checkAccessibility(page, 'missing plan page');
	await page.getByRole('link', { name: 'Back to your plans' }).click();
	await expect(page).toHaveURL('/app');
});

test('the API docs render with no network beyond the site', async ({ page, baseURL }) => {
	const site = new URL(baseURL).origin;
	const outside = [];
	await page.route('**/*', (route) => {
		const url = new URL(route.request().url());
		if (url.origin === site) return route.continue();
		outside.push(url.href);
		return route.abort('internetdisconnected');
	});
	await page.goto('/api/v1/docs/');
	await expect(page.locator('.swagger-ui .info .title').getByText('Solar Sim API')).toBeVisible();
	await expect(page.locator('.swagger-ui .opblock-tag').first()).toBeVisible();
	await expect(page.getByText('/api/v1/places/', { exact: true }).first()).toBeVisible();
	await screenshot(page, 'api-docs-offline', { fullPage: false });
	await checkAccessibility(page, 'API docs (Swagger UI)');
	expect(outside, 'the docs asked for nothing outside the site').toEqual([]);
});

test('deleting the account takes its plans, after the password', async ({ page, account }) => {
	await createPlan(page, 'Balcony');
	await page.goto('/app/account');
	await expect(page.getByTestId('account-email').getByText(account.email)).toBeVisible();
	const { count } = await api(page, 'GET', '/api/v1/plans/');
	expect(count).toBeGreaterThan(0);
	await page.getByRole('button', { name: 'Delete my account…' }).click();
	const dialog = page.getByRole('dialog', { name: 'Delete your account for good?' });
	await expect(dialog).toBeVisible();
	await checkAccessibility(page, 'account page (delete dialog)');
	await dialog.getByLabel('Your password, to confirm').fill('not-my-password');
	await dialog.getByRole('button', { name: 'Delete my account and plans' }).click();
	await expect(
		dialog.getByRole('alert').getByText('Password: this is not your current password.')
	).toBeVisible();
	await dialog.getByLabel('Your password, to confirm').fill(account.password);
	await dialog.getByRole('button', { name: 'Delete my account and plans' }).click();
	await expect(page).toHaveURL(/\/login\?account_deleted=1$/);
	await expect(page.getByText('Your account and all its plans have been deleted.')).toBeVisible();
	expect(await page.evaluate(async () => (await fetch('/api/v1/users/me/')).status)).toBe(401);
	await page.getByLabel('Email').fill(account.email);
	await page.getByLabel('Password', { exact: true }).fill(account.password);
	await page.getByRole('button', { name: 'Log in' }).click();
	await expect(page.getByRole('alert')).toBeVisible();
	await expect(page).toHaveURL(/\/login/);
});
