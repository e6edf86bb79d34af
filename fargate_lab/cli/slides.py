"""`slides`: the talk's deck (and notebooks as handouts), executed on the virtual clock, viewable offline."""
from __future__ import annotations

from pathlib import Path

import click

from .group import cli
from .output import say

DEFAULT_OUT = Path("build") / "slides"


@cli.command()
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_OUT,
              show_default=True, help="Folder for the decks and the reveal.js they load.")
@click.argument("notebooks", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
def slides(out, notebooks):
    """Build reveal.js decks that work offline: each NOTEBOOK (a jupytext .py or an .ipynb; default: the
    talk's slides/talk.py) runs on the local cloud's virtual clock, never on AWS, and is written as
    OUT/<name>.slides.html with its pictures inside and reveal.js in OUT/reveal.js/. Open it from the file or
    with `python -m http.server -d OUT`; press S for the speaker view (docs/slides.md)."""
    from .. import slides as builder
    for source in notebooks or (builder.TALK,):
        say(f"building {source} (running it on the virtual clock)...")
        try:
            deck = builder.build(source, out)
        except ImportError as missing:   # nbconvert, nbclient, jupytext: the presenter extra
            raise click.ClickException(f"{missing.name} is not installed: pip install -e \".[presenter]\"") from None
        say(deck.describe())
