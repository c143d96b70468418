"""Use cases: each composes the pure domain rules with the data-access modules."""
