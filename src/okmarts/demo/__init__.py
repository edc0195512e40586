"""The demo catalog: a deterministic, realistic industrial catalog for `okmarts seed`, the
tests and the benchmark. Demo tooling, not part of the shop's rules (those live in services/)."""
