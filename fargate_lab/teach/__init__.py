"""Teaching helpers for the notebooks: one mode setting, a recorder, plots, a live plot, a demo panel.

    from fargate_lab.teach import setup, Recorder, LivePlot, DemoPanel, plots, check, talk_folder
    lab = setup()                                    # FARGATE_LAB_MODE: virtual (default) | real | aws
    recorder = Recorder.for_session(lab.session, "talk", "web")
    live = LivePlot(recorder, sleep=lab.sleep)
    live.run(600, step=5)                            # virtual clock: a finished figure in moments
    plots.timeline(recorder.samples); plots.gantt(recorder.samples); plots.explainer(4, 50, 200)
    TALK = talk_folder()                             # examples/talk; check(...) grades an exercise
    exercises.secret_names(answer)                   # graders that name the learner's mistake
    lab.cleanup("service web", remove)               # clean-up cells: on AWS by default, locally when asked

matplotlib and ipywidgets (the `notebooks` extra) are imported only by the modules
that draw: `mode`, `sampling`, `history`, `rollout` and `lesson` need neither.
"""
from __future__ import annotations

from . import exercises
from .lesson import check, service_here, talk_folder
from .mode import Lab, resolve_mode, setup
from .rollout import RolloutExplanation, RolloutStep, explain_rollout
from .sampling import Recorder, Sample

__all__ = ["DemoPanel", "Lab", "LivePlot", "Recorder", "RolloutExplanation", "RolloutStep", "Sample",
           "check", "exercises", "explain_rollout", "plots", "resolve_mode", "service_here", "setup", "talk_folder"]


def __getattr__(name: str):
    # Drawing modules load matplotlib/ipywidgets: only when a notebook asks for them.
    if name == "LivePlot":
        from .live import LivePlot
        return LivePlot
    if name == "DemoPanel":
        from .panel import DemoPanel
        return DemoPanel
    if name == "plots":
        import importlib
        return importlib.import_module(f"{__name__}.plots")
    raise AttributeError(f"module 'fargate_lab.teach' has no attribute {name!r}")
