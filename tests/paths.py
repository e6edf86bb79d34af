"""Where things are, for every test (wherever under tests/ the test file sits)."""
from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
CORPUS = TESTS / "corpus"          # ECS responses recorded on real AWS (scenarios/test_corpus.py)
ARTIFACTS = TESTS / "artifacts"    # screenshots and other outputs, never committed
CLIENTS = TESTS / "clients"        # the real-client projects (scenarios/test_real_clients.py; installed by .ci/run)
NOTEBOOKS = REPO / "notebooks"
EXAMPLES = REPO / "examples"
