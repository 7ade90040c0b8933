"""The web: one blueprint module per page family, and ``pages`` (what every page needs). No view imports another."""
