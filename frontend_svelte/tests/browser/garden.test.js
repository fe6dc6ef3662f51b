// Browser tests of the plan page's garden (src/lib/plants/): what to plant in
// each bed and when. The beds are set through the API (drawing them is the
// map's part). Portland's plan point snaps to the sun site at 45.52, -122.674;
// in the simulator's town the bed in the open gets full sun and the one by the
// houses part shade. Each test holds a lock of its own against the test that
// makes Open-Meteo fail (see app.test.js).
import {
	api,
	checkAccessibility,
	createPlan,
	expect,
	openMeteo,
	panelReady,
	planOf,
	screenshot,
	sidewaysScroll,
	test
} from './fixtures.js';

const BEDS = [
	{ id: 'sunny', name: 'Sunny bed', lng: -122.6744, lat: 45.52 },
	{ id: 'shady', name: 'Shady bed', lng: -122.6738, lat: 45.5203 }
];

/** A square bed of about 3 m around a point, as GeoJSON. */
function square(lng, lat, half = 0.00002) {
	return {
		type: 'Polygon',
		coordinates: [
			[
				[lng - half, lat - half],
				[lng + half, lat - half],
				[lng + half, lat + half],
				[lng - half, lat + half],
				[lng - half, lat - half]
			]
		]
	};
}

function bedsWith(plants = {}) {
	return {
		type: 'FeatureCollection',
		features: BEDS.map((bed) => ({
			type: 'Feature',
			id: bed.id,
			geometry: square(bed.lng, bed.lat),
			properties: { name: bed.name, plants: plants[bed.id] ?? [] }
		}))
	};
}

/** A plan at Portland with the two beds (and their plants); its id. */
async function planWithBeds(page, name, plants = {}) {
	const id = await createPlan(page, name);
	await api(page, 'PATCH', `/api/v1/plans/${id}/`, { beds: bedsWith(plants) });
	return id;
}

/** A catalogue plant by its common name. */
async function plantNamed(page, name) {
	const found = await api(page, 'GET', `/api/v1/plants/?q=${encodeURIComponent(name)}`);
	const plant = found.results.find((p) => p.common_name === name);
	expect(plant, `${name} is in the catalogue`).toBeTruthy();
	return plant;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** "2 Apr" for 2026-04-02 shown in 2026; "3 Jan 2027" for a date of another year. */
function day(iso, year) {
	const [y, m, d] = iso.split('-').map(Number);
	return `${d} ${MONTHS[m - 1]}${y === year ? '' : ` ${y}`}`;
}

/** Every window of the calendar's plants that overlaps `year`, as the page should list it. */
function windowsShown(calendar, year) {
	return calendar.plants.flatMap((plant) =>
		plant.seasons.flatMap((season) =>
			season.windows
				.filter((w) => w.start <= `${year}-12-31` && w.end >= `${year}-01-01`)
				.map((w) => ({ plant: plant.common_name, ...w }))
		)
	);
}

/** The calendar's table shows these windows of `year`, each with its dates. */
async function tableShows(panel, windows, year) {
	const table = panel.getByTestId('calendar-table');
	await expect(table.locator('caption')).toHaveText(`Planting dates in ${year}`);
	await expect(table.locator('tbody tr')).toHaveCount(windows.length);
	for (const w of windows) {
		await expect(
			table.locator(`tbody tr[data-plant="${w.plant}"][data-kind="${w.kind}"]`),
			`${w.plant}: ${w.kind}`
		).toContainText([`${day(w.start, year)} – ${day(w.end, year)}`]);
	}
}

/** What a calendar feed holds: its events' summaries and first days. */
function feedEvents(text) {
	const unfolded = text.replace(/\r\n[ \t]/g, '');
	return unfolded
		.split('BEGIN:VEVENT')
		.slice(1)
		.map((event) => ({
			summary: /\r\nSUMMARY:(.*)\r\n/.exec(event)?.[1],
			start: /\r\nDTSTART;VALUE=DATE:(\d{8})\r\n/.exec(event)?.[1]
		}));
}

/** The events a calendar answer should give in a feed, as feedEvents() reads them. */
function eventsOf(calendar) {
	return calendar.plants
		.flatMap((plant) =>
			plant.seasons.flatMap((season) =>
				season.windows.map((w) => ({
					summary: `${plant.common_name}: ${w.what}`,
					start: w.start.replaceAll('-', '')
				}))
			)
		)
		.sort((a, b) => `${a.summary}${a.start}`.localeCompare(`${b.summary}${b.start}`));
}

const sorted = (events) =>
	[...events].sort((a, b) => `${a.summary}${a.start}`.localeCompare(`${b.summary}${b.start}`));

test(
	'the garden: each bed gets plants with reasons, tomatoes and basil go in, their dates show in the calendar and in a calendar app',
	{ lock: openMeteo('garden') },
	async ({ page, playwright, account: _ }) => {
		const id = await planWithBeds(page, 'Kitchen garden');
		await page.goto(`/app/plans/${id}`);
		await panelReady(page, 'garden');
		const garden = page.locator('[data-panel="garden"]');
		const recommendations = await api(page, 'GET', `/api/v1/plans/${id}/recommendations/`);
		const sun = await api(page, 'GET', `/api/v1/plans/${id}/beds/sun/`);
		const [sunnyRecs, shadyRecs] = recommendations.beds;
		// The simulator's town as this test knows it: one bed in full sun, one in the shade of a house.
		expect(sunnyRecs.light).toBe('full_sun');
		expect(['part_shade', 'shade']).toContain(shadyRecs.light);
		expect(shadyRecs.plants.map((p) => p.common_name)).not.toContain('Tomato');

		// Each bed by name, its light over the growing season, its chart, and the
		// best six recommendations with every reason the server gives.
		for (const [i, recs] of recommendations.beds.entries()) {
			const bed = garden.locator(`[data-testid="bed"][data-bed="${recs.id}"]`);
			await expect(bed.getByRole('heading', { level: 3 })).toHaveText(recs.name);
			const season = sun.beds[i].growing_season;
			const light = { full_sun: 'Full sun', part_sun: 'Part sun', part_shade: 'Part shade' };
			await expect(bed.getByTestId('bed-light')).toContainText(
				`${light[season.light] ?? 'Shade'}: ${season.mean.toFixed(1)} h of direct sun a day`
			);
			const chart = bed.getByRole('img', { name: new RegExp(`^Bed “${recs.name}”: hours`) });
			await expect(chart.locator('rect.bar')).toHaveCount(
				sun.beds[i].months.filter((m) => m.mean !== null).length
			);
			const items = bed.getByTestId('recommendations').locator(':scope > li');
			const best = recs.plants.slice(0, 6);
			await expect(items).toHaveCount(best.length);
			for (const [j, plant] of best.entries()) {
				await expect(items.nth(j).locator('.plant-name')).toContainText(plant.common_name);
				await expect(items.nth(j).locator('.reasons li')).toHaveText(plant.reasons);
			}
		}
		const calendarPanel = page.locator('[data-panel="calendar"]');
		await panelReady(page, 'calendar');
		await expect(calendarPanel.getByTestId('calendar-empty')).toBeVisible();
		await checkAccessibility(page, 'garden: beds with recommendations');

		// Basil from the sunny bed's recommendations.
		const sunny = garden.locator('[data-testid="bed"][data-bed="sunny"]');
		const basil = await plantNamed(page, 'Basil');
		expect(sunnyRecs.plants.slice(0, 6).map((p) => p.common_name)).toContain('Basil');
		await sunny
			.getByTestId('recommendations')
			.getByRole('button', { name: 'Add Basil to Sunny bed' })
			.click();
		await expect(sunny.getByTestId('bed-plants').locator('li > span')).toHaveText(['Basil']);
		// The button flips to Remove and keeps the focus.
		await expect(
			sunny
				.getByTestId('recommendations')
				.getByRole('button', { name: 'Remove Basil from Sunny bed' })
		).toBeFocused();

		// Tomatoes through the search, by name and kind.
		const tomato = await plantNamed(page, 'Tomato');
		await sunny.getByText('Find another plant').click();
		await sunny.getByLabel('Name').fill('tomat');
		await sunny.getByLabel('Kind').selectOption('vegetable');
		const matching = await api(page, 'GET', '/api/v1/plants/?q=tomat&kind=vegetable');
		const results = sunny.getByTestId('search-results').locator(':scope > li');
		await expect(results).toHaveCount(matching.results.length);
		await expect(results.locator('.plant-name')).toContainText(
			matching.results.map((p) => p.common_name)
		);
		await sunny
			.getByTestId('search-results')
			.getByRole('button', { name: 'Add Tomato to Sunny bed', exact: true })
			.click();
		await expect(sunny.getByTestId('bed-plants').locator('li > span')).toHaveText([
			'Basil',
			'Tomato'
		]);
		await expect
			.poll(async () => (await planOf(page, id)).beds.features.map((f) => f.properties.plants))
			.toEqual([[basil.id, tomato.id], []]);
		await checkAccessibility(page, 'garden: a search with results');

		// The calendar: the two plants' windows of this year, on the timeline and in the table.
		const calendar = await api(page, 'GET', `/api/v1/plans/${id}/calendar/`);
		expect(calendar.plants.map((p) => p.common_name)).toEqual(['Basil', 'Tomato']);
		const year = Number(calendar.today.slice(0, 4));
		const tomatoKinds = calendar.plants[1].seasons[0].windows.map((w) => w.kind);
		expect(tomatoKinds).toEqual(expect.arrayContaining(['start_indoors', 'transplant']));
		const shown = windowsShown(calendar, year);
		await tableShows(calendarPanel, shown, year);
		const timeline = calendarPanel.getByTestId('calendar-timeline');
		await expect(timeline).toHaveAttribute('data-year', String(year));
		await expect(timeline.locator('.bar')).toHaveCount(shown.length);
		await expect(calendarPanel.getByTestId('calendar-today')).toBeAttached();
		await expect(calendarPanel.getByTestId('calendar-frost')).toHaveText(calendar.frost.note);

		// A careful gardener: the dates of a 10 % risk of frost.
		const careful = await api(page, 'GET', `/api/v1/plans/${id}/calendar/?risk=10`);
		const transplant = (c) =>
			c.plants[1].seasons[0].windows.find((w) => w.kind === 'transplant').start;
		expect(transplant(careful), 'a later planting out at 10 %').not.toBe(transplant(calendar));
		// While another risk's dates come, the calendar stays shown, greyed, and
		// readable: the answer is held until the check is done.
		let answer;
		const held = new Promise((resolve) => (answer = resolve));
		const riskOf10 = `**/api/v1/plans/${id}/calendar/?risk=10`;
		await page.route(riskOf10, async (route) => {
			await held;
			await route.continue();
		});
		await calendarPanel.getByRole('radio', { name: /^Careful: 10 %/ }).check();
		await expect(calendarPanel.locator('.content')).toHaveClass(/dimmed/);
		await checkAccessibility(page, 'garden: the calendar while new dates come', {
			within: '[data-panel="calendar"]'
		});
		answer();
		await tableShows(calendarPanel, windowsShown(careful, year), year);
		await page.unroute(riskOf10);
		await expect(calendarPanel.getByTestId('calendar-frost')).toHaveText(careful.frost.note);
		// Next year's dates on the same timeline.
		await calendarPanel.getByRole('radio', { name: String(year + 1), exact: true }).check();
		await tableShows(calendarPanel, windowsShown(careful, year + 1), year + 1);
		await expect(calendarPanel.getByTestId('calendar-today')).toHaveCount(0);
		await calendarPanel.getByRole('radio', { name: String(year), exact: true }).check();

		// The file to download (with the session) has an event for every window at 10 %.
		const download = calendarPanel.getByTestId('calendar-download');
		await expect(download).toHaveAttribute('href', `/api/v1/plans/${id}/calendar.ics?risk=10`);
		const file = await page.request.get(`/api/v1/plans/${id}/calendar.ics?risk=10`);
		expect(file.status()).toBe(200);
		expect(sorted(feedEvents(await file.text()))).toEqual(eventsOf(careful));

		// "Add to my calendar": a subscription link for a calendar app, which needs no sign-in.
		await calendarPanel.getByRole('button', { name: 'Add to my calendar' }).click();
		const link = calendarPanel.getByTestId('calendar-link');
		await expect(link).toBeFocused();
		const url = await calendarPanel.getByTestId('calendar-url').inputValue();
		expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/calendar\/[A-Za-z0-9_-]{20,}\.ics$/);
		await expect(link).toHaveAttribute('href', url.replace(/^http:/, 'webcal:'));
		const calendarApp = await playwright.request.newContext();
		try {
			const feed = await calendarApp.get(url);
			expect(feed.status()).toBe(200);
			expect(feed.headers()['content-type']).toMatch(/^text\/calendar/);
			const events = feedEvents(await feed.text());
			expect(events.length, 'one VEVENT per window').toBeGreaterThan(0);
			// The link's feed is at the default risk (50 %).
			expect(sorted(events)).toEqual(eventsOf(calendar));
			await checkAccessibility(page, 'garden: plants, calendar and its link');
			await screenshot(page, 'garden-desktop');

			// Revoked, the link is gone.
			await calendarPanel.getByRole('button', { name: 'Revoke the link' }).click();
			await expect(calendarPanel.getByRole('button', { name: 'Add to my calendar' })).toBeFocused();
			expect((await calendarApp.get(url)).status()).toBe(404);
		} finally {
			await calendarApp.dispose();
		}

		// A refusal is the server's words: a bed holds at most 50 plants.
		const best = shadyRecs.plants[0];
		const catalogue = await api(page, 'GET', '/api/v1/plants/?page_size=100');
		const fifty = catalogue.results
			.map((p) => p.id)
			.filter((p) => p !== best.id)
			.slice(0, 50);
		await api(page, 'PATCH', `/api/v1/plans/${id}/`, {
			beds: bedsWith({ sunny: [basil.id, tomato.id], shady: fifty })
		});
		const csrf = (await page.context().cookies()).find((c) => c.name === 'csrftoken').value;
		const refused = await page.request.patch(`/api/v1/plans/${id}/`, {
			data: { beds: bedsWith({ sunny: [basil.id, tomato.id], shady: [...fifty, best.id] }) },
			headers: { 'X-CSRFToken': csrf }
		});
		expect(refused.status()).toBe(400);
		const message = (await refused.json()).error.message;
		await page.reload();
		await panelReady(page, 'garden');
		const shady = garden.locator('[data-testid="bed"][data-bed="shady"]');
		await shady
			.getByTestId('recommendations')
			.getByRole('button', { name: `Add ${best.common_name} to Shady bed` })
			.click();
		await expect(shady.getByTestId('bed-refusal')).toHaveText(`Not saved. ${message}`);
		await expect(shady.getByTestId('bed-plants').locator('li > span')).toHaveCount(50);
		expect((await planOf(page, id)).beds.features[1].properties.plants).toEqual(fifty);
		await checkAccessibility(page, 'garden: a refused plant');
	}
);

test(
	'the garden on a phone: beds, a tap adds a plant, the calendar fits the screen',
	{ tag: '@phone', lock: openMeteo('phone garden') },
	async ({ page, account: _ }) => {
		const tomato = await plantNamed(page, 'Tomato');
		const basil = await plantNamed(page, 'Basil');
		const id = await planWithBeds(page, 'Balcony boxes', { sunny: [tomato.id, basil.id] });
		await page.goto(`/app/plans/${id}`);
		await panelReady(page, 'garden');
		await panelReady(page, 'calendar');
		const recommendations = await api(page, 'GET', `/api/v1/plans/${id}/recommendations/`);
		const best = recommendations.beds[1].plants[0];
		const shady = page.locator('[data-testid="bed"][data-bed="shady"]');
		await shady
			.getByTestId('recommendations')
			.getByRole('button', { name: `Add ${best.common_name} to Shady bed` })
			.tap();
		await expect(shady.getByTestId('bed-plants').locator('li > span')).toHaveText([
			best.common_name
		]);
		const calendarPanel = page.locator('[data-panel="calendar"]');
		await expect(
			calendarPanel.getByTestId('calendar-table').locator(`tr[data-plant="${best.common_name}"]`)
		).not.toHaveCount(0);
		const calendar = await api(page, 'GET', `/api/v1/plans/${id}/calendar/`);
		const year = Number(calendar.today.slice(0, 4));
		await tableShows(calendarPanel, windowsShown(calendar, year), year);
		expect(await sidewaysScroll(page), 'the page scrolls sideways on a phone').toBeLessThanOrEqual(
			0
		);
		await checkAccessibility(page, 'garden (phone)');
		await screenshot(page, 'garden-phone');
	}
);
