// The garden on the map (docs/frontend.md, "The site map"): MapLibre with the
// basemap through /api/v1/tiles/, the sun layer over a period, buildings that
// stand up when the map tilts, beds drawn with the mouse and the keyboard and
// their sun in the table, the server's message for a bad bed, the shadows at a
// moment, and a plan under the simulator's ridge. Each test has its own account
// and place.
import {
	api,
	canvasPixels,
	checkAccessibility,
	createWithCoordinates,
	expect,
	mapPixel,
	offset,
	openMeteo,
	opaquePixels,
	panelReady,
	planIdOf,
	planOf,
	screenshot,
	sidewaysScroll,
	tabTo,
	test
} from './fixtures.js';

test(
	'the site map: tiles through the cache, the sun layer, buildings standing up when tilted',
	{ lock: openMeteo('map') },
	async ({ page, account: _ }) => {
		const tiles = [];
		page.on('response', (response) => {
			const url = new URL(response.url());
			if (url.pathname.startsWith('/api/v1/tiles/'))
				tiles.push({ path: url.pathname, status: response.status() });
		});
		const problems = [];
		page.on('console', (msg) => msg.type() === 'error' && problems.push(msg.text()));
		page.on('pageerror', (error) => problems.push(error.message));
		await createWithCoordinates(page, 'Map garden', '45.5310, -122.6610');
		await panelReady(page, 'site');
		const site = page.locator('[data-panel="site"]');
		const map = site.getByTestId('site-map');
		await expect(map).toHaveAttribute('data-loaded', 'true');
		await expect
			.poll(
				() =>
					tiles.filter((t) => /\/tiles\/\d+\/\d+\/\d+\.png$/.test(t.path) && t.status === 200)
						.length
			)
			.toBeGreaterThan(0);
		expect(
			tiles.some((t) => t.path === '/api/v1/tiles/'),
			'the TileJSON'
		).toBe(true);
		await expect(map.locator('.maplibregl-ctrl-attrib')).toContainText('OpenStreetMap');
		const heat = site.getByTestId('sun-heatmap');
		await expect.poll(() => opaquePixels(heat)).toBeGreaterThan(0);
		await screenshot(page, 'map-flat');
		await map.getByRole('button', { name: '3D view' }).click();
		await expect(map).toHaveAttribute('data-pitch', '60');
		await expect
			.poll(async () => Number(await map.getAttribute('data-buildings-rendered')))
			.toBeGreaterThan(0);
		await screenshot(page, 'map-tilted', { fullPage: false });
		await checkAccessibility(page, 'plan page (map tilted)');
		expect(
			problems.filter((p) => /Content Security Policy|Refused/.test(p)),
			problems.join('\n')
		).toEqual([]);
	}
);

/** The bed table's row of a bed, by its name. */
function bedRow(page, name) {
	return page.getByTestId('bed-table').locator(`tbody tr[data-name="${name}"]`);
}

/** What the table shows for a bed (its mean, in tenths) and what beds/sun/ says. */
async function bedAgrees(page, planId, index, key, query = '') {
	const answer = await api(page, 'GET', `/api/v1/plans/${planId}/beds/sun/${query}`);
	const bed = answer.beds[index];
	const stats = key === 'growing_season' ? bed.growing_season : bed.months[key - 1];
	const row = page.getByTestId('bed-table').locator(`tr[data-bed="${bed.id}"]`);
	await expect(row.getByTestId('bed-mean')).toHaveText(`${stats.mean.toFixed(1)} h`);
	await expect(row).toHaveAttribute('data-light', stats.light);
	return stats;
}

test(
	"beds: drawn with the mouse and with the keyboard, their sun in the table for June and the growing season; a bad bed shows the server's message",
	{ lock: openMeteo('beds') },
	async ({ page, account: _ }) => {
		await createWithCoordinates(page, 'Two beds', '45.5410, -122.6710');
		const planId = planIdOf(page.url());
		await panelReady(page, 'site');
		const site = page.locator('[data-panel="site"]');
		const map = site.getByTestId('site-map');
		await expect(map).toHaveAttribute('data-loaded', 'true');
		const plan = await planOf(page, planId);
		const canvas = map.locator('canvas.maplibregl-canvas');

		// With the mouse: a click per corner of a 12 m square south-west of the plan point, then the first again.
		await site.getByRole('button', { name: 'Draw a bed' }).click();
		const corners = [
			[-14, -14],
			[-2, -14],
			[-2, -2],
			[-14, -2]
		].map(([e, n]) => offset(plan.latitude, plan.longitude, e, n));
		for (const corner of [...corners, corners[0]]) {
			await canvas.click({ position: await mapPixel(page, corner.lng, corner.lat) });
		}
		await expect(page.getByTestId('bed-table').locator('tbody tr')).toHaveCount(1);
		await expect(bedRow(page, 'Bed 1')).toContainText('Save to see its sun');

		// With the keyboard: a square bed at the map's centre, moved 3 m east and 2 m north, made 2 m wider.
		await tabTo(page, site.getByRole('button', { name: 'Add a square bed' }));
		await page.keyboard.press('Enter');
		await expect(site.getByTestId('bed-pad')).toBeFocused();
		for (const key of ['ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowUp', 'ArrowUp']) {
			await page.keyboard.press(key);
		}
		await page.keyboard.press('Shift+ArrowRight');
		await page.keyboard.press('Shift+ArrowRight');
		await expect(page.getByTestId('bed-table').locator('tbody tr')).toHaveCount(2);
		// Renamed from the keyboard too.
		await tabTo(page, page.getByLabel('Name of bed 2'));
		await page.keyboard.press('ControlOrMeta+a');
		await page.keyboard.type('Herbs');
		await tabTo(page, site.getByRole('button', { name: 'Save beds' }));
		await page.keyboard.press('Enter');
		await expect(site.getByText('Beds saved.')).toBeVisible();

		// Stored as drawn: the mouse's square (within a metre) and the keyboard's 6 x 4 m bed.
		const stored = (await planOf(page, planId)).beds.features;
		expect(stored.map((f) => f.properties.name)).toEqual(['Bed 1', 'Herbs']);
		const size = (ring) => {
			const xs = ring.map((p) => p[0]);
			const ys = ring.map((p) => p[1]);
			const k = 111_320 * Math.cos((plan.latitude * Math.PI) / 180);
			return [
				(Math.max(...xs) - Math.min(...xs)) * k,
				(Math.max(...ys) - Math.min(...ys)) * 111_320
			];
		};
		const [w1, h1] = size(stored[0].geometry.coordinates[0]);
		expect(Math.abs(w1 - 12), `mouse bed width ${w1}`).toBeLessThan(1);
		expect(Math.abs(h1 - 12), `mouse bed height ${h1}`).toBeLessThan(1);
		const [w2, h2] = size(stored[1].geometry.coordinates[0]);
		expect(Math.abs(w2 - 6), `keyboard bed width ${w2}`).toBeLessThan(0.05);
		expect(Math.abs(h2 - 4), `keyboard bed height ${h2}`).toBeLessThan(0.05);

		// Their sun in the table: June, then the growing season, as beds/sun/ gives it.
		await site.getByRole('radio', { name: 'June' }).check();
		await expect(page.getByTestId('bed-table').locator('caption')).toHaveText(
			'Hours of direct sun a day over June'
		);
		for (const index of [0, 1]) await bedAgrees(page, planId, index, 6);
		await site.getByRole('radio', { name: 'Growing season' }).check();
		await expect(page.getByTestId('bed-table').locator('caption')).toContainText(
			'the growing season ('
		);
		for (const index of [0, 1]) await bedAgrees(page, planId, index, 'growing_season');
		await checkAccessibility(page, 'plan page (beds)');
		await screenshot(page, 'beds');

		// A bed moved out of the sun square: the server's message, the drawing kept, nothing stored.
		await bedRow(page, 'Herbs').getByRole('button', { name: 'Move' }).click();
		await site.getByTestId('bed-pad').focus();
		for (let i = 0; i < 7; i++) await page.keyboard.press('Control+ArrowRight'); // 10 m a step
		await site.getByRole('button', { name: 'Save beds' }).click();
		const error = site.getByTestId('beds-error');
		await expect(error).toContainText('bed "Herbs"');
		await expect(error).toContainText("lies outside the plan's sun square");
		await expect(page.getByTestId('bed-table').locator('tbody tr')).toHaveCount(2);
		await expect(site.getByRole('button', { name: 'Save beds' })).toBeEnabled();
		expect((await planOf(page, planId)).beds.features).toEqual(stored);
		await checkAccessibility(page, 'plan page (a bed refused)');
		// Moved back in, it saves.
		await site.getByTestId('bed-pad').focus();
		for (let i = 0; i < 7; i++) await page.keyboard.press('Control+ArrowLeft');
		await site.getByRole('button', { name: 'Save beds' }).click();
		await expect(site.getByText('Beds saved.')).toBeVisible();
		await expect(error).toBeHidden();
	}
);

test(
	"shadows at a moment: scrubbing the time changes them; the sun's position is shown",
	{ lock: openMeteo('shadows') },
	async ({ page, account: _ }) => {
		await createWithCoordinates(page, 'Shadows', '45.5510, -122.6810');
		await panelReady(page, 'site');
		const site = page.locator('[data-panel="site"]');
		await site.getByLabel('Show the shadows').check();
		await site.getByLabel('Date').fill('2026-06-21');
		const slider = site.getByTestId('shadow-time');
		const position = site.getByTestId('sun-position');
		const layer = site.getByTestId('shadow-layer');
		await slider.fill('540'); // 09:00 on the place's clock
		await expect(position).toHaveAttribute('data-at', /^2026-06-21T09:00:00[+-]\d\d:\d\d$/);
		const nine = await position.getAttribute('data-at');
		await expect(position).toContainText(
			/The sun stands \d+° high in the (east|south-east) \(azimuth \d+°\)/
		);
		const morning = await canvasPixels(layer);
		const shaded = await opaquePixels(layer);
		expect(shaded, 'some cells in shade in the morning').toBeGreaterThan(0);
		// Independent of the page: the answer's own headers for that moment.
		const answer = await page.request.get(
			`/api/v1/sun/shadow/?lat=45.551000&lng=-122.681000&at=${encodeURIComponent(nine)}`
		);
		expect(answer.status()).toBe(200);
		const azimuth = Math.round(Number(answer.headers()['x-sun-azimuth']));
		await expect(position).toContainText(`(azimuth ${azimuth}°)`);
		// Scrubbed to 16:00 with the keyboard (each step 15 minutes): other shadows.
		await slider.focus();
		for (let i = 0; i < 28; i++) await page.keyboard.press('ArrowRight');
		await expect(position).toHaveAttribute('data-at', nine.replace('T09:00', 'T16:00'));
		await expect(position).toContainText(/in the (west|south-west)/);
		await expect.poll(() => canvasPixels(layer)).not.toBe(morning);
		await checkAccessibility(page, 'plan page (shadows)');
		await screenshot(page, 'shadows', { fullPage: false });
		// At night all is shade.
		await slider.fill('120');
		await expect(position).toHaveText('The sun is below the horizon: all is in shade.');
		await expect
			.poll(() => opaquePixels(layer))
			.toBe(await layer.evaluate((c) => c.width * c.height));
	}
);

test(
	'placing a plan: after a search the map opens on the place and a click moves the pin; on the plan page the pin moves with the keys',
	{ lock: openMeteo('placing') },
	async ({ page, account: _ }) => {
		await page.goto('/app');
		await page.getByRole('button', { name: 'New plan' }).click();
		const dialog = page.getByRole('dialog', { name: 'New plan' });
		await dialog.getByLabel('Name', { exact: true }).fill('Pinned');
		await dialog.getByLabel('Town, place or address').fill('Portland, OR');
		await dialog.getByRole('button', { name: 'Search' }).click();
		const chosen = dialog.getByTestId('new-chosen');
		await expect(chosen).toBeVisible();
		const pinMap = dialog.getByTestId('new-pin-map');
		const canvas = pinMap.locator('canvas.maplibregl-canvas');
		await expect(canvas).toBeVisible();
		await expect(pinMap.locator('.maplibregl-ctrl-attrib')).toContainText('OpenStreetMap');
		const found = await chosen.locator('.chosen-coords').textContent();
		// A click 60 px right of the centre and 40 px below it: east and south of the place found.
		const box = await canvas.boundingBox();
		await canvas.click({ position: { x: box.width / 2 + 60, y: box.height / 2 + 40 } });
		await expect(chosen.locator('.chosen-coords')).not.toHaveText(found);
		await checkAccessibility(page, 'new plan dialog (pin map)');
		await dialog.getByRole('button', { name: 'Create plan' }).click();
		await expect(page).toHaveURL(/\/app\/plans\/[0-9a-f-]{36}$/);
		const id = planIdOf(page.url());
		const plan = await planOf(page, id);
		const [foundLat, foundLng] = found.match(/[\d.]+/g).map(Number);
		// The place found is 45.5202° N, 122.6742° W; the pin went south-east of it.
		expect(plan.latitude).toBeLessThan(foundLat);
		expect(Math.abs(plan.longitude)).toBeLessThan(foundLng);
		expect(plan.address).toContain('Portland');

		// Moving it on the plan page: the pin, focused, moves 10 m north per Shift+ArrowUp.
		await page.getByText('Edit name and place').click();
		const pin = page.locator('#plan-pin');
		await pin.focus();
		await page.keyboard.press('Shift+ArrowUp');
		await page.keyboard.press('Shift+ArrowUp');
		await page.getByRole('button', { name: 'Save', exact: true }).click();
		await expect(page.getByText('Saved.')).toBeVisible();
		const movedPlan = await planOf(page, id);
		const north = (movedPlan.latitude - plan.latitude) * 111_132;
		expect(Math.abs(north - 20), `moved ${north} m north`).toBeLessThan(0.5);
		expect(movedPlan.longitude).toBeCloseTo(plan.longitude, 6);
	}
);

test(
	"a plan under the simulator's ridge shows its December shade on the map, in words",
	{ lock: openMeteo('ridge') },
	async ({ page, account: _ }) => {
		// docs/upstream-simulator.md, "The terrain": the ridge point, 200 m north of the
		// ridge's foot; its crest, 150 m high and 500 m south, stands atan(150 / 500) = 16.7°.
		await createWithCoordinates(page, 'Under the ridge', '39.80, -89.65');
		await panelReady(page, 'site');
		const site = page.locator('[data-panel="site"]');
		const heat = site.getByTestId('sun-heatmap');
		await site.getByRole('radio', { name: 'June' }).check();
		await expect.poll(() => opaquePixels(heat)).toBeGreaterThan(0);
		const june = await canvasPixels(heat);
		await site.getByRole('radio', { name: 'December' }).check();
		await expect(heat).toHaveAttribute('data-month', '12');
		await expect.poll(() => canvasPixels(heat)).not.toBe(june);
		const crest = Math.round((Math.atan(150 / 500) * 180) / Math.PI);
		await expect(site.getByTestId('shade-cause')).toContainText(
			`Hills on the sun’s side rise up to ${crest}° above the horizon`
		);
		// The spot at the plan point: December's hours less than a flat open spot's day would give.
		const hours = JSON.parse(await site.getByTestId('sun-spot').getAttribute('data-hours'));
		const summary = await api(page, 'GET', '/api/v1/sun/summary/?lat=39.8&lng=-89.65');
		const december = summary.months[11];
		// The day's length on flat ground from the sun's declination on the representative day.
		const day = new Date(`${december.day}T12:00:00Z`);
		const n = Math.round((day - Date.UTC(day.getUTCFullYear(), 0, 0)) / 86_400_000);
		const declination = -23.44 * Math.cos(((2 * Math.PI) / 365) * (n + 10));
		const rad = Math.PI / 180;
		const flatDay = (24 / Math.PI) * Math.acos(-Math.tan(39.8 * rad) * Math.tan(declination * rad));
		expect(
			hours[11],
			`December at the plan point vs a flat day of ${flatDay.toFixed(1)} h`
		).toBeLessThan(flatDay - 1);
		await checkAccessibility(page, 'plan page (under the ridge, December)');
		await screenshot(page, 'ridge-december', { fullPage: false });
	}
);

test(
	'the map on a phone: a bed added, its sun in the table, the read-out next to the map, no sideways scrolling',
	{ tag: '@phone', lock: openMeteo('phone map') },
	async ({ page, account: _ }) => {
		await createWithCoordinates(page, 'Phone beds', '45.5610, -122.6910');
		await panelReady(page, 'site');
		const site = page.locator('[data-panel="site"]');
		const map = site.getByTestId('site-map');
		await expect(map).toHaveAttribute('data-loaded', 'true');
		// The spot's read-out within half a screen below the map.
		const mapBox = await map.boundingBox();
		const spotBox = await site.getByTestId('sun-spot').boundingBox();
		expect(spotBox.y - (mapBox.y + mapBox.height)).toBeLessThan(844 / 2);
		await site.getByRole('button', { name: 'Add a square bed' }).tap();
		await site.getByRole('button', { name: 'Save beds' }).tap();
		await expect(site.getByText('Beds saved.')).toBeVisible();
		await site.getByRole('radio', { name: 'June' }).check();
		const planId = planIdOf(page.url());
		await bedAgrees(page, planId, 0, 6);
		await site.getByRole('radio', { name: 'Growing season' }).check();
		await bedAgrees(page, planId, 0, 'growing_season');
		expect(await sidewaysScroll(page), 'the page scrolls sideways on a phone').toBeLessThanOrEqual(
			0
		);
		await checkAccessibility(page, 'plan page with a bed (phone)');
		await screenshot(page, 'map-phone');
	}
);
