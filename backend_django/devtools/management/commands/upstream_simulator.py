"""Run the upstream simulator (fake Open-Meteo, Overpass, S3 canopy tiles, geocoder, basemap and
Terrarium tiles) as a process.

Used by `UPSTREAMS=simulator make dev` (Procfile.dev `simulator`); see docs/upstream-simulator.md.
"""

from typing import cast

from django.core.management.base import BaseCommand

from backend_django.devtools.simulator import SimulatorApp, make_simulator_server
from backend_django.upstream.upstreams import simulator_env

# Open-Meteo's free tier, in weighted calls (applied with --open-meteo-rate-limits).
FREE_TIER = {"open_meteo_per_minute": 600, "open_meteo_per_hour": 5000, "open_meteo_per_day": 10000}


class Command(BaseCommand):
    help = (
        "Serve the upstream simulator (Open-Meteo archive, Overpass, canopy tiles, geocoder, basemap and "
        "Terrarium tiles) on 127.0.0.1."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before every answer")
        parser.add_argument(
            "--canopy-size", type=int, default=4096, help="canopy tile width/height in pixels"
        )
        parser.add_argument("--overpass-slots", type=int, default=2, help="concurrent Overpass queries")
        parser.add_argument(
            "--open-meteo-rate-limits",
            action="store_true",
            help="enforce Open-Meteo's free-tier weighted limits (600/min, 5000/h, 10000/day)",
        )
        parser.add_argument(
            "--geocoder-min-interval-ms",
            type=float,
            default=None,
            help="refuse (429) geocoder requests closer than this to the previous one, as Nominatim would",
        )
        parser.add_argument("--quiet", action="store_true", help="do not log requests")
        parser.add_argument(
            "--print-env",
            action="store_true",
            help="print the URL settings (NAME=URL, one a line) that point every upstream at a simulator "
            "on --host/--port, and exit",
        )

    def handle(self, *args, **options) -> None:
        if options["print_env"]:
            base = f"http://{options['host']}:{options['port']}"
            self.stdout.write("".join(f"{name}={url}\n" for name, url in simulator_env(base).items()))
            return
        limits = FREE_TIER if options["open_meteo_rate_limits"] else {}
        app = SimulatorApp(
            latency=options["latency_ms"] / 1000,
            canopy_size=options["canopy_size"],
            overpass_slots=options["overpass_slots"],
            geocoder_min_interval=(
                None
                if options["geocoder_min_interval_ms"] is None
                else options["geocoder_min_interval_ms"] / 1000
            ),
            **limits,
        )
        server = make_simulator_server(app, options["host"], options["port"], quiet=options["quiet"])
        # An AF_INET(6) server's address: (host, port, ...), the host a str.
        host, port = cast(tuple[str, int], server.server_address[:2])
        base = f"http://{host}:{port}"
        settings_lines = "".join(f"  {name}={url}\n" for name, url in simulator_env(base).items())
        self.stdout.write(
            f"Upstream simulator on {base}\n{settings_lines}"
            f"  (GEOCODER_URL={base}/photon with GEOCODER_API=photon)\n"
            f"  control: GET {base}/__sim__/stats, POST {base}/__sim__/reset, POST {base}/__sim__/config"
        )
        self.stdout.flush()
        try:
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            app.stop()
            server.server_close()
