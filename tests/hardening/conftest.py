"""Hardening fixtures: the workspace's world (the simulator's seeded customer of a reseller, its users)."""

from tests.workspace.conftest import _fast_passwords, pc, run_after_commit, world  # noqa: F401 (fixtures)
