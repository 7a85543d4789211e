"""A whole story through the Python client generated from openapi/openapi.yaml.

A partner declares a security incident, security acknowledges and resolves it, the dispatcher
delivers the resolution notice, the partner confirms with the resolve's ETag, the ticket is closed
and its evidence archive downloads as a ZIP; another partner never sees it. Every response is parsed with the
client's own models (a response the models cannot read fails the test).

Run by scripts/test with the generated package on PYTHONPATH and, in the environment, CONTRACT_URL
and ADMIN_KEY of a running ticketd (tests/contract/run-ticketd.sh starts one).
"""

import datetime
import os
import sys
import time
import uuid

from ticketd_client import AuthenticatedClient, Client
from ticketd_client.api.commands import acknowledge, confirm_resolution, resolve
from ticketd_client.api.keys import create_api_key
from ticketd_client.api.operations import healthz
from ticketd_client.api.registry import create_organisation
from ticketd_client.api.tickets import (
    declare_incident,
    get_evidence_archive,
    get_ticket,
    list_events,
    list_tickets,
)
from ticketd_client.models import (
    ClosureReasonDto,
    CreatedApiKeyView,
    EventList,
    Health,
    IncidentRequest,
    NewApiKeyBody,
    NewOrganisationBody,
    NoteBody,
    OrganisationRoleDto,
    OrganisationView,
    PriorityDto,
    Problem,
    ResolveBody,
    RoleDto,
    StateDto,
    TicketPage,
    TicketView,
)
from ticketd_client.types import File

URL = os.environ["CONTRACT_URL"]
ADMIN = AuthenticatedClient(base_url=URL, token=os.environ["ADMIN_KEY"], raise_on_unexpected_status=True)


def check(response, status, model):
    """The response has `status` and was parsed into `model` by the generated client."""
    assert response.status_code == status, (response.status_code, response.content)
    assert isinstance(response.parsed, model), (type(response.parsed), response.content)
    return response.parsed


def etag(response):
    value = response.headers["ETag"]
    assert value.startswith('"') and value.endswith('"'), value
    return value


def organisation(name):
    body = NewOrganisationBody(name=name, roles=[OrganisationRoleDto.SERVICE_PROVIDER])
    return check(create_organisation.sync_detailed(client=ADMIN, body=body), 201, OrganisationView)


def key(name, **scope):
    created = check(
        create_api_key.sync_detailed(client=ADMIN, body=NewApiKeyBody(name=name, **scope)), 201, CreatedApiKeyView
    )
    return AuthenticatedClient(base_url=URL, token=created.secret, raise_on_unexpected_status=True)


def main():
    check(healthz.sync_detailed(client=Client(base_url=URL)), 200, Health)
    suffix = uuid.uuid4().hex[:8]
    partner_org = organisation(f"Caisse {suffix}")
    other_org = organisation(f"Autre {suffix}")
    partner = key(f"partner-{suffix}", organisation_id=partner_org.id)
    other = key(f"other-{suffix}", organisation_id=other_org.id)
    security = key(f"securite-{suffix}", role=RoleDto.SECURITY, machine=True)

    # The partner declares a security incident.
    started = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    request = IncidentRequest(
        title="Jetons d'accès rejoués",
        started_at=started,
        impact="Des jetons semblent rejoués depuis une adresse inconnue",
        security=True,
        proposed_priority=PriorityDto.MAJEURE,
        reporter_email="exploitation@caisse.example",
    )
    response = declare_incident.sync_detailed(client=partner, body=request, idempotency_key=f"story-{suffix}")
    ticket = check(response, 201, TicketView)
    assert ticket.state == StateDto.NEW, ticket.state
    assert ticket.priority == PriorityDto.CRITIQUE, ticket.priority
    assert ticket.incident.security is True
    assert ticket.organisation_id == partner_org.id
    version = etag(response)

    # Partner isolation: the other partner neither reads nor lists it.
    hidden = get_ticket.sync_detailed(ticket.reference, client=other)
    problem = check(hidden, 404, Problem)
    assert problem.type_ == "/problems/not-found", problem.type_
    page = check(list_tickets.sync_detailed(client=other), 200, TicketPage)
    assert all(t.id != ticket.id for t in page.items)

    # Security acknowledges, then resolves.
    response = acknowledge.sync_detailed(
        ticket.reference, client=security, body=NoteBody(note="Pris en compte"), if_match=version
    )
    ticket = check(response, 200, TicketView)
    assert ticket.state == StateDto.ACKNOWLEDGED, ticket.state
    version = etag(response)
    response = resolve.sync_detailed(
        ticket.reference, client=security, body=ResolveBody(summary="Jetons révoqués"), if_match=version
    )
    ticket = check(response, 200, TicketView)
    assert ticket.state == StateDto.RESOLVED, ticket.state
    version = etag(response)

    # The dispatcher delivers the resolution notice (a `mail_delivered` event, staff only): the
    # resolve's ETag stays the If-Match of the next command.
    deadline = time.monotonic() + 15
    while True:
        events = check(list_events.sync_detailed(ticket.reference, client=security), 200, EventList)
        if any(e.type_ == "mail_delivered" for e in events.items):
            break
        assert time.monotonic() < deadline, [e.type_ for e in events.items]
        time.sleep(0.05)
    assert etag(get_ticket.sync_detailed(ticket.reference, client=partner)) == version

    # A stale version is refused with the current ETag.
    stale = confirm_resolution.sync_detailed(ticket.reference, client=partner, if_match='"1"')
    check(stale, 412, Problem)
    assert stale.headers["ETag"] == version, (stale.headers.get("ETag"), version)

    # The partner confirms: closed as resolved and confirmed.
    response = confirm_resolution.sync_detailed(ticket.reference, client=partner, if_match=version)
    ticket = check(response, 200, TicketView)
    assert ticket.state == StateDto.CLOSED, ticket.state
    assert ticket.closure.reason == ClosureReasonDto.RESOLVED_CONFIRMED, ticket.closure.reason

    events = check(list_events.sync_detailed(ticket.reference, client=partner), 200, EventList)
    kinds = [e.type_ for e in events.items]
    assert kinds[0] == "created" and "resolved" in kinds and kinds[-1] == "closed", kinds
    assert check(list_events.sync_detailed(ticket.reference, client=other), 404, Problem)
    # The evidence archive reaches the client as bytes (a ZIP), with the generator's defaults.
    archive = get_evidence_archive.sync_detailed(ticket.reference, client=security)
    assert archive.status_code == 200, (archive.status_code, archive.content)
    assert isinstance(archive.parsed, File), type(archive.parsed)
    assert archive.parsed.payload.read(2) == b"PK", "not a ZIP"
    listed = check(list_tickets.sync_detailed(client=partner, state=[StateDto.CLOSED]), 200, TicketPage)
    assert [t.id for t in listed.items] == [ticket.id], listed.items
    print(f"story: {ticket.reference} declared, acknowledged, resolved, confirmed and closed")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as error:
        print(f"story failed: {error!r}", file=sys.stderr)
        raise
