"""Lead routing: rules and pools decide which rep gets a new lead, and say why.

`engine` is pure (plain values in and out, `now` passed in); `conditions` compiles the
`when` of a rule; the service around them loads the team and state and stores decisions.
"""

from salesrelay.routing.engine import RepProfile, RoutingDecision, RoutingEngine, RoutingState

__all__ = ["RepProfile", "RoutingDecision", "RoutingEngine", "RoutingState"]
