"""Open-Meteo historical weather archive: daily min/max temperature."""

from datetime import date

from django.conf import settings

from . import http

DAILY_VARIABLES = ("temperature_2m_max", "temperature_2m_min")


def weighted_calls(start: date, end: date, variables: int = len(DAILY_VARIABLES)) -> float:
    """What Open-Meteo counts a request as: max(1, variables/10 * days/14)."""
    days = (end - start).days + 1
    return max(1.0, (variables / 10) * (days / 14))


def fetch_daily(lat: float, lng: float, start: date, end: date) -> dict:
    """The archive body for one point and an inclusive date range."""
    response = http.request(
        "GET",
        settings.OPEN_METEO_URL,
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
    body = http.json_body(response)
    if body.get("error"):
        raise http.UpstreamError(
            "upstream_rejected", f"Open-Meteo: {body.get('reason', 'error')}", False, response.status_code
        )
    daily = body.get("daily")
    if not isinstance(daily, dict) or not all(
        isinstance(daily.get(key), list) for key in ("time", *DAILY_VARIABLES)
    ):
        raise http.UpstreamError(
            "upstream_invalid_response", "Open-Meteo answered without the daily series", True
        )
    lengths = {len(daily[key]) for key in ("time", *DAILY_VARIABLES)}
    if len(lengths) != 1:
        raise http.UpstreamError(
            "upstream_invalid_response", "Open-Meteo daily series have different lengths", True
        )
    return body
