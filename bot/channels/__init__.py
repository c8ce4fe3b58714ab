"""Provider channels: one module per provider owning receiving, signature checks, sending
and delivery statuses, behind the `Channel` seam in `base`; fakes of the providers for tests."""
