"""nbval settings for the notebooks (nbval runs a conftest.py beside the notebooks like any other).

text/html: ipympl and widget views carry a base64 PNG fallback that changes with DPI and fonts.
stderr: library warnings (moto, matplotlib) are not part of any lesson.
"""


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("text/html", "stderr")
