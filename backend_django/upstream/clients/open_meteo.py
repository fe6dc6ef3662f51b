"""Open-Meteo historical weather archive: daily min/max temperature and precipitation."""

from datetime import date

from django.conf import settings

from . import http

UPSTREAM = "open_meteo"
# Temperatures for the frost dates and zone; precipitation for the Köppen-Geiger class.
DAILY_VARIABLES = ("temperature_2m_max", "temperature_2m_min", "precipitation_sum")


def weighted_calls(start: date, end: date, variables: int = len(DAILY_VARIABLES)) -> float:
    """What Open-Meteo counts a request as: max(1, variables/10 * days/14)."""
    days = (end - start).days + 1
    return max(1.0, (variables / 10) * (days / 14))


def fetch_daily(lat: float, lng: float, start: date, end: date) -> dict:
    """The archive body for one point and an inclusive date range."""
    response = http.request(
        "GET",
        settings.OPEN_METEO_URL,
        upstream=UPSTREAM,
        read_timeout=settings.OPEN_METEO_READ_TIMEOUT,
        params={
            "latitude": f"{lat:.4f}",
            "longitude": f"{lng:.4f}",
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "daily": ",".join(DAILY_VARIABLES),
            "timezone": "auto",
        },
    )
    body = http.json_body(response, UPSTREAM)
    if body.get("error"):
        raise http.UpstreamError(
            "upstream_rejected",
            "Open-Meteo refused this request.",
            False,
            response.status_code,
            detail=http.sanitise(str(body.get("reason", "error"))),
        )
    daily = body.get("daily")
    if not isinstance(daily, dict) or not all(
        isinstance(daily.get(key), list) for key in ("time", *DAILY_VARIABLES)
    ):
        raise http.invalid_response(UPSTREAM, "no daily series")
    lengths = {len(daily[key]) for key in ("time", *DAILY_VARIABLES)}
    if len(lengths) != 1:
        raise http.invalid_response(UPSTREAM, "daily series of different lengths")
    return body
