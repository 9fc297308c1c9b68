"""An event reaches its targets whole, and another account's or Region's bus as it was sent.

- moto's default input (a target without an input transformer) left out the event's `account`;
  AWS delivers the whole event, `account` included ("account: The 12-digit number identifying
  an AWS account", https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html).
- moto re-put an event a rule sends to an event bus of another account or Region as a new one:
  a new id, the receiving account and Region, no `resources`. AWS delivers the event itself:
  `account` and `region` stay those where it originated ("region: Identifies the AWS Region
  where the event originated", same page; a receiving bus's rules "with an account field do not
  match any events sent from other accounts",
  https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutPermission.html), and an
  event received from another account is not sent on to a third ("Sending and receiving events
  between AWS accounts", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html).
  A target bus that does not exist drops the event, as a failed delivery does.

The product's member accounts forward RDS's events to the hub this way (member-account.yaml,
RdsEventForwardRule), so the hub's waits end on events from every account and Region.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from moto.events import models as events_models
from moto.events.utils import EventTemplateParser
from moto.utilities.arns import parse_arn

_previous_send_to_targets = None
_forwarding = threading.local()


def _is_bus(target: dict[str, Any]) -> bool:
    arn = parse_arn(target["Arn"])
    return arn.service == "events" and arn.resource_type == "event-bus"


def _forward(bus_arn: str, event: dict[str, Any]) -> None:
    arn = parse_arn(bus_arn)
    try:
        bus = events_models.events_backends[arn.account][arn.region].describe_event_bus(arn.resource_id)
    except Exception:  # noqa: BLE001 - no such bus: the delivery fails, nothing arrives
        return
    _forwarding.active = True
    try:
        for rule in list(bus.rules.values()):
            rule.send_to_targets(copy.deepcopy(event))
    finally:
        _forwarding.active = False


def _send_to_targets(self: Any, original_event: dict[str, Any], transform_input: bool = True) -> None:
    buses = [t for t in self.targets if _is_bus(t)]
    if (
        buses
        and not getattr(_forwarding, "active", False)
        and self.state == "ENABLED"
        and self.event_pattern.get_pattern()
        and self.event_pattern.matches_event(original_event)
    ):
        for target in buses:
            _forward(target["Arn"], original_event)
    if len(buses) < len(self.targets):
        rest = copy.copy(self)
        rest.targets = [t for t in self.targets if not _is_bus(t)]
        _previous_send_to_targets(rest, original_event, transform_input)


def apply() -> None:
    global _previous_send_to_targets
    template = EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE
    if '"account"' not in template:
        EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = template.replace(
            '"version": "0",', '"version": "0", "account": "<account>",'
        )
    if events_models.Rule.send_to_targets is not _send_to_targets:
        _previous_send_to_targets = events_models.Rule.send_to_targets
        events_models.Rule.send_to_targets = _send_to_targets
