"""nbval settings for the notebooks (nbval runs a conftest.py beside the notebooks like any other).

text/html: ipympl and widget views carry a base64 PNG fallback that changes with DPI and fonts.
stderr: library warnings (moto, matplotlib) are not part of any lesson.
A run under pytest keeps its exercise progress in a file of its own, not the learner's (teach/progress.py).
"""
import os
import tempfile

os.environ.setdefault("FARGATE_LAB_PROGRESS", os.path.join(tempfile.mkdtemp(prefix="fargate-lab-progress-"),
                                                           "progress.json"))


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("text/html", "stderr")
