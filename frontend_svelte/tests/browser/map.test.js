// The garden on the map (docs/frontend.md, "The site map"): MapLibre with the
// basemap through /api/v1/tiles/, the sun layer over a period, buildings that
// stand up when the map tilts, beds drawn with the mouse and the keyboard and
// their sun in the table, the server's message for a bad bed, the shadows at a
// moment, and a plan under the simulator's ridge. Each test has its own account
// and place.
import {
	checkAccessibility,
	createWithCoordinates,
	expect,
	opaquePixels,
	panelReady,
	screenshot,
	test
} from './fixtures.js';

test('the site map: tiles through the cache, the sun layer, buildings standing up when tilted', async ({
	page,
	account: _
}) => {
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
				tiles.filter((t) => /\/tiles\/\d+\/\d+\/\d+\.png$/.test(t.path) && t.status === 200).length
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
});
