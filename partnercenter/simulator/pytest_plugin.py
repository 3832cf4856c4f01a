"""pytest fixtures for the simulator.

Enable with ``pytest_plugins = ["partnercenter.simulator.pytest_plugin"]`` in a conftest.py.

- ``pc_simulator_server`` (session): one HTTPS simulator for the whole run.
- ``pc_sim`` (function): the same server, reset to the default seed before each test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .testing import SimulatorHandle, run_simulator


@pytest.fixture(scope="session")
def pc_simulator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    cert_dir = tmp_path_factory.mktemp("pcsim-certs")
    with run_simulator(cert_dir=cert_dir) as handle:
        yield handle


@pytest.fixture
def pc_sim(pc_simulator_server: SimulatorHandle) -> SimulatorHandle:
    pc_simulator_server.control.reset()
    return pc_simulator_server
