"""ELBv2 DescribeTargetHealth, answered from the engine (query protocol, XML).

moto serves every other ELBv2 call, but in moto a registered target is healthy
at once and a deregistered one vanishes (moto/elbv2/models.py, FakeTargetGroup.health_for).  Here targets
the engine placed report `initial` → `healthy`/`unhealthy`, and `draining` for
the deregistration delay; targets somebody else registered keep moto's answer.
"""
from __future__ import annotations

from urllib.parse import parse_qs
from xml.sax.saxutils import escape

REASONS = {
    "initial": ("Elb.RegistrationInProgress", "Target registration is in progress"),
    "unhealthy": ("Target.ResponseCodeMismatch", "Health checks failed with these codes: [500]"),
    "draining": ("Target.DeregistrationInProgress", "Target deregistration is in progress"),
    "unused": ("Target.NotRegistered", "Target is not registered to the target group"),
}
NS = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"


def parse_form(body: bytes | str | None) -> dict[str, str]:
    text = body.decode() if isinstance(body, bytes) else (body or "")
    return {k: v[0] for k, v in parse_qs(text).items()}


def requested_targets(form: dict[str, str]) -> list[tuple[str, int | None]]:
    out, i = [], 1
    while f"Targets.member.{i}.Id" in form:
        port = form.get(f"Targets.member.{i}.Port")
        out.append((form[f"Targets.member.{i}.Id"], int(port) if port else None))
        i += 1
    return out


def merge(engine_view: list[tuple[str, int, str]], moto_view: list[tuple[str, int, str]],
          wanted: list[tuple[str, int | None]]) -> list[tuple[str, int, str]]:
    """The engine's state wins for its targets; moto's stays for the rest."""
    ours = {(ip, port): state for ip, port, state in engine_view}
    rows = dict(ours)
    for ip, port, state in moto_view:
        rows.setdefault((ip, port), state)
    out = [(ip, port, state) for (ip, port), state in rows.items()]
    if wanted:
        keep = []
        for ip, wanted_port in wanted:
            match = [r for r in out if r[0] == ip and (wanted_port is None or r[1] == wanted_port)]
            keep += match or [(ip, wanted_port or 80, "unused")]
        out = keep
    return out


def render(rows: list[tuple[str, int, str]], request_id: str) -> bytes:
    members = []
    for ip, port, state in rows:
        extra = ""
        if state in REASONS:
            reason, description = REASONS[state]
            extra = f"<Reason>{reason}</Reason><Description>{escape(description)}</Description>"
        members.append(f"<member><Target><Id>{escape(ip)}</Id><Port>{port}</Port></Target>"
                       f"<HealthCheckPort>{port}</HealthCheckPort>"
                       f"<TargetHealth><State>{state}</State>{extra}</TargetHealth></member>")
    return (f'<DescribeTargetHealthResponse xmlns="{NS}"><DescribeTargetHealthResult>'
            f'<TargetHealthDescriptions>{"".join(members)}</TargetHealthDescriptions>'
            f'</DescribeTargetHealthResult><ResponseMetadata><RequestId>{request_id}</RequestId>'
            f'</ResponseMetadata></DescribeTargetHealthResponse>').encode()
