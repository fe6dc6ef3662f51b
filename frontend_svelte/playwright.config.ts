// The browser tests (tests/browser/): Playwright Test against the local stack
// that tests/browser/stack.js starts. `npm run test:browser` builds the app
// first; scripts/test passes the browser scripts/browser found as
// CHROMIUM_PATH (Playwright's own browser download is never needed).
import { defineConfig } from '@playwright/test';

// An already running stack (`node tests/browser/stack.js` prints both URLs)
// is used as it is; otherwise the config starts one and reads them from it.
const running = !!process.env.BROWSER_APP_URL;

export default defineConfig({
	testDir: 'tests/browser',
	outputDir: 'test-results',
	// Every test signs up its own user and uses places of its own, so tests run
	// in any order, two at a time: one shared stack on a 2-core machine (its
	// Celery worker computes the sun for each new place).
	fullyParallel: true,
	workers: 2,
	// A failure is a bug to fix, never a reason to try again.
	retries: 0,
	forbidOnly: !!process.env.CI,
	// New places are fetched and computed through the worker: a test waits up
	// to two minutes for that (PANEL_TIMEOUT in the tests).
	timeout: 180_000,
	expect: { timeout: 15_000 },
	reporter: [['list'], ['./tests/browser/axe-reporter.js']],
	use: {
		baseURL: process.env.BROWSER_APP_URL,
		trace: { mode: 'retain-on-failure', screenshots: false },
		screenshot: 'only-on-failure',
		actionTimeout: 15_000,
		navigationTimeout: 15_000,
		launchOptions: {
			executablePath: process.env.CHROMIUM_PATH || undefined,
			args: [
				'--no-sandbox',
				// The network is closed: no background requests that only fail.
				'--disable-background-networking',
				'--disable-component-update',
				'--disable-sync',
				'--no-first-run',
				// WebGL without a GPU (MapLibre GL), headless: SwiftShader. The page
				// itself is drawn and composited in software, as without a GPU:
				// through SwiftShader every animation frame costs a lot of CPU.
				'--use-angle=swiftshader',
				'--enable-unsafe-swiftshader',
				'--disable-gpu-compositing',
				'--disable-gpu-rasterization'
			]
		}
	},
	projects: [
		{
			name: 'desktop',
			grepInvert: /@phone/,
			use: { browserName: 'chromium', viewport: { width: 1280, height: 1000 } }
		},
		{
			name: 'phone',
			grep: /@phone/,
			use: {
				browserName: 'chromium',
				viewport: { width: 390, height: 844 },
				isMobile: true,
				hasTouch: true
			}
		}
	],
	webServer: running
		? undefined
		: {
				command: 'node tests/browser/stack.js',
				env: { STACK_LOGS: 'test-results/stack' },
				// "stack ready: app=... simulator=..." sets BROWSER_APP_URL and
				// BROWSER_SIMULATOR_URL for the tests.
				wait: {
					stdout: /stack ready: app=(?<browser_app_url>\S+) simulator=(?<browser_simulator_url>\S+)/
				},
				timeout: 120_000,
				gracefulShutdown: { signal: 'SIGTERM', timeout: 15_000 }
			}
});
