"""Counts what schemathesis met, from its NDJSON event reports (`--report ndjson`).

Every check must pass, and a schema-valid request may be refused only for a documented business
rule, which no schema can state:
- 412 `stale-version`: the `If-Match` names a version that is no longer current (a stateful chain
  after another command, or a version the fuzzer made up);
- 422 `idempotency-key-reused`: a fuzzer's `Idempotency-Key` sent again with another body;
- 415 `file-type-not-accepted`: an uploaded file's bytes are of no accepted type (detected from
  the content, never the name);
- 422 for a rule between fields OpenAPI 3.0 cannot state (no if/then), said in the fields'
  descriptions: a key has a `role` or an `organisation_id`, a duplicate names its original;
- 422 naming the organisation staff must give (a partner's key implies its own);
- 422 naming registry references (an id that names no organisation, service, ticket or staff
  member) or date windows (a connection date older than the 6-month trace retention, or in the
  future; an API key's expiry or rotation grace outside the operator's key policy).
Those answers are listed by count; any other 412 or 422 to schema-valid data, any failed check and
any error fails. Usage: answers.py REPORT.ndjson... (exit status 1 on a failure).
"""

import base64
import collections
import json
import sys

REGISTRY_RULES = {
    "registered_organisation",
    "registered_service",
    "existing_ticket",
    "staff_member",
}
# Webhook URLs refused by the address rules (issue 36): the host must be, and resolve only to,
# global addresses (a name is looked up, so no schema can state it), the scheme https, no
# credentials or fragment; and an organisation has at most 10 endpoints.
WEBHOOK_URL_RULES = {
    "url",
    "https-required",
    "url-credentials",
    "url-fragment",
    "loopback-address",
    "private-address",
    "link-local-address",
    "unspecified-address",
    "broadcast-address",
    "multicast-address",
    "non-global-address",
    "host-unresolvable",
    "endpoints_per_organisation",
}
# An admin registering a webhook endpoint names an organisation of the registry.
WEBHOOK_ORGANISATION = {("organisation_id", "unknown-organisation"), ("organisation_id", "required")}
# Windows in time: a suspicious connection's date, and an API key's expiry and rotation grace
# within the operator's key policy (configuration, so no schema can state them).
DATE_WINDOW_RULES = {"within_trace_retention", "not_in_future", "key_expiry", "rotation_grace"}
# Fields staff must give where a partner's key implies them (the organisation of an incident, the
# impersonated partner): a rule on who calls, which one schema for every caller cannot state.
STAFF_NAMES = {("organisation_id", "required"), ("partner_id", "required")}
BETWEEN_FIELDS = {
    ("role", "exactly_one"),
    ("organisation_id", "exactly_one"),
    ("staff_member", "staff_key"),
    ("staff_member", "member_or_machine"),
    ("expires_at", "key_expiry"),
    ("non_expiring", "machine_key"),
    ("duplicate_of", "required"),
    # The transparency log's consistency proof: `from` ≤ `to` ≤ the log's size.
    ("from", "log_size"),
    ("to", "log_size"),
}


def body_of(response):
    content = response.get("content")
    if isinstance(content, dict) and "$base64" in content:
        content = base64.b64decode(content["$base64"]).decode("utf-8", "replace")
    try:
        return json.loads(content or "null")
    except (TypeError, ValueError):
        return None


def business_answer(status, body):
    """The documented rule a refusal of schema-valid data stands for, or None."""
    if not isinstance(body, dict):
        return None
    if status == 412 and str(body.get("type", "")).endswith("/stale-version"):
        return "412 stale If-Match"
    if status == 415 and str(body.get("type", "")).endswith("/file-type-not-accepted"):
        return "415 file content of no accepted type"
    if status == 422 and str(body.get("type", "")).endswith("/idempotency-key-reused"):
        return "422 Idempotency-Key reused with another body"
    if status == 422:
        errors = body.get("errors") or []
        # Staff name the organisation a ticket is about; a partner's key names its own.
        if errors and all(
            (e.get("field"), e.get("rule")) in STAFF_NAMES or e.get("rule") in REGISTRY_RULES
            for e in errors
        ) and any((e.get("field"), e.get("rule")) in STAFF_NAMES for e in errors):
            return "422 organisation staff must name"
        # Rules between fields that OpenAPI 3.0 cannot state (no if/then), each in the field's
        # description: a key is a staff key (`role`) or a partner key (`organisation_id`), only a
        # staff key belongs to a staff member, a person's key names its member and expires (only a
        # machine's may not); a cancellation as a duplicate names the original.
        pairs = {(e.get("field"), e.get("rule")) for e in errors}
        if errors and all(
            e.get("field") == "url" and e.get("rule") in WEBHOOK_URL_RULES for e in errors
        ):
            return "422 webhook URL refused by the address rules"
        if pairs and pairs <= WEBHOOK_ORGANISATION:
            return "422 webhook organisation staff must name"
        others = REGISTRY_RULES | DATE_WINDOW_RULES
        if pairs and pairs <= BETWEEN_FIELDS | {(e.get("field"), r) for e in errors for r in others}:
            if pairs & BETWEEN_FIELDS:
                return "422 rule between fields (stated in their descriptions)"
        rules = {e.get("rule") for e in errors}
        if rules and rules <= REGISTRY_RULES | DATE_WINDOW_RULES:
            kinds = []
            if rules & REGISTRY_RULES:
                kinds.append("registry reference")
            if rules & DATE_WINDOW_RULES:
                kinds.append("date window")
            return "422 " + " and ".join(kinds)
    return None


def main(paths):
    answers = collections.Counter()
    failures = []
    cases = 0
    for path in paths:
        with open(path, encoding="utf-8") as events:
            for line in events:
                event = json.loads(line)
                (kind, data), = event.items()
                if kind in ("NonFatalError", "FatalError"):
                    failures.append(f"{kind}: {json.dumps(data)[:400]}")
                    continue
                if kind != "ScenarioFinished":
                    continue
                recorder = data.get("recorder", {})
                label = recorder.get("label", "?")
                if data.get("status") == "error":
                    failures.append(f"{label}: error")
                for case_id, checks in recorder.get("checks", {}).items():
                    cases += 1
                    interaction = recorder.get("interactions", {}).get(case_id) or {}
                    response = interaction.get("response") or {}
                    status = response.get("status_code")
                    for check in checks:
                        if check.get("status") != "success":
                            info = (check.get("failure_info") or {}).get("failure") or {}
                            failures.append(
                                f"{label}: {check.get('name')} ({info.get('title', '')}): "
                                f"{status} {json.dumps(body_of(response))[:300]}"
                            )
                    case = (recorder.get("cases", {}).get(case_id) or {}).get("value") or {}
                    mode = ((case.get("meta") or {}).get("generation") or {}).get("mode")
                    positive = mode == "positive"
                    if positive and status in (412, 415, 422):
                        answer = business_answer(status, body_of(response))
                        if answer is None:
                            failures.append(
                                f"{label}: schema-valid data refused by an undocumented rule: "
                                f"{status} {json.dumps(body_of(response))[:300]}"
                            )
                        else:
                            answers[answer] += 1
    for answer, count in sorted(answers.items()):
        print(f"  {count:5d} × {answer}")
    for failure in failures:
        print(f"  FAILED: {failure}")
    print(f"  {cases} cases checked, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
