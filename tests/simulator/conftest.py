"""Simulator tests run without Django: ``pytest tests/simulator -p no:django --confcutdir=tests/simulator``.

The fixtures are imported (not listed in ``pytest_plugins``) so this also works under the top-level conftest,
which registers the same plugin.
"""

from partnercenter.simulator.pytest_plugin import pc_sim, pc_simulator_server

__all__ = ["pc_sim", "pc_simulator_server"]
