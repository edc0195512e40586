"""Named states of a shop, one module per domain (accounts, catalog, orders, reviews): tests
build what they need from these instead of long builders of their own, and never import helpers
from one another's test modules."""
