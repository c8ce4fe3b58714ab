"""The outreach workflow: inbound arrivals, conversation turns, the one place that applies
engine effects, the timeline and its scheduler, the sender, alerts, handoff, retention, import."""
