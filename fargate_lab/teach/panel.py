"""The demo panel: buttons and sliders that act on one service, and a status line.

    panel = DemoPanel("talk", "web", new_version=v2_arn, broken_version=crash_arn, session=lab.session)
    display(panel.widget(live))      # live: an optional LivePlot shown under the controls

    panel.deploy_new()               # every button has a plain method: headless notebooks call these
    panel.deploy_broken()
    panel.kill_task()
    panel.scale(6)

A click never blocks the kernel: the action goes to one worker thread (so actions run
in click order) and the callback returns at once.  `panel.wait()` waits for the last
queued action, which is how a headless notebook presses a button and then checks.
The local cloud serialises its calls under one lock, so the worker and the kernel can
both call at the same time.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from collections.abc import Callable
from typing import Any

from .narration import Narrator
from .sampling import Sample, short_task_definition

KILL_REASON = "Stopped from the fargate-lab demo panel"
DESIRED_RANGE = (0, 10)
MINIMUM_RANGE = (0, 100)      # minimumHealthyPercent: 0-100 (UpdateService refuses more)
MAXIMUM_RANGE = (100, 200)    # maximumPercent: at least 100; AWS sets no cap, 200 is plenty for a demo
PERCENT_STEP = 5
FOLLOW_SECONDS = 600          # wall seconds a click's live plot samples for (Stop ends it sooner)


class DemoPanel:
    def __init__(self, cluster: str, service: str, new_version: str, broken_version: str, session=None,
                 ecs=None, circuit_breaker: bool = True, follow: bool = False):
        """`new_version` / `broken_version`: task definition ARNs (or family:revision).
        `circuit_breaker`: deploy with the circuit breaker and rollback on, so a broken
        version rolls back by itself (the point of that button).  `follow`: a click also
        starts the live plot's sampler (on a clock that runs by itself: real mode, AWS), so
        the plot and the status line follow what the click set off."""
        if ecs is None:
            if session is None:
                import boto3
                session = boto3.session.Session()
            ecs = session.client("ecs")
        self.ecs, self.cluster, self.service = ecs, cluster, service
        self.new_version, self.broken_version = new_version, broken_version
        self.circuit_breaker = circuit_breaker
        self.follow = follow
        self._live: Any = None
        self._following = False       # this panel started its live plot's sampler
        self.last_message = "ready"
        self.narrator = Narrator()
        self.last_error: Exception | None = None
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fargate-lab-panel")
        self._last_future: Future | None = None
        self.closed = False
        self._widget = None
        self._service_line = ""
        self._settings = self._current_settings()  # desired, minimum, maximum: the sliders' values

    # -- the actions (plain methods: what the buttons call, and what headless notebooks call) --
    def deploy_new(self) -> str:
        """Roll out the new version (forced, so a second click rolls again); returns the deployment id."""
        return self._deploy(self.new_version, "new version")

    def deploy_broken(self) -> str:
        """Roll out the broken version; with the circuit breaker on, ECS rolls back by itself."""
        return self._deploy(self.broken_version, "broken version")

    def kill_task(self) -> str | None:
        """Stop one running task of the service (as a crash would); ECS starts a replacement.
        Returns the task id, or None when nothing is running."""
        arns = self.ecs.list_tasks(cluster=self.cluster, serviceName=self.service, desiredStatus="RUNNING")["taskArns"]
        if not arns:
            self._note("kill: no running task to stop")
            return None
        described = self.ecs.describe_tasks(cluster=self.cluster, tasks=arns[:100])["tasks"]
        running = sorted((t for t in described if t["lastStatus"] == "RUNNING"), key=lambda t: t["taskArn"])
        victim = (running or sorted(described, key=lambda t: t["taskArn"]))[0]
        self.ecs.stop_task(cluster=self.cluster, task=victim["taskArn"], reason=KILL_REASON)
        task_id = victim["taskArn"].rsplit("/", 1)[-1]
        self._note(f"killed task {task_id[:8]}; the service will start a replacement")
        return task_id

    def scale(self, desired: int | None = None) -> int:
        """Set the desired count (default: the slider's value); no new deployment is made."""
        count = self._slider_value("desired", desired)
        self.ecs.update_service(cluster=self.cluster, service=self.service, desiredCount=count)
        self._note(f"scaled to {count} desired tasks")
        return count

    def set_percentages(self, minimum_healthy_percent: int | None = None, maximum_percent: int | None = None) -> None:
        """Move the percentage sliders (headless notebooks); the next deploy uses them."""
        if minimum_healthy_percent is not None:
            self._settings["minimum"] = minimum_healthy_percent
        if maximum_percent is not None:
            self._settings["maximum"] = maximum_percent
        self._sync_sliders()

    def refresh(self) -> str:
        """Read the service once and show it in the status line; returns the line."""
        found = self.ecs.describe_services(cluster=self.cluster, services=[self.service])["services"]
        if not found:
            return self._show(f"{self.service}: not found")
        s = found[0]
        count = len(s["deployments"])
        return self._show(f"{self.service}: {s['runningCount']}/{s['desiredCount']} running, {s['pendingCount']} "
                          f"pending, {count} deployment{'s' * (count != 1)}")

    def show_sample(self, sample: Sample) -> None:
        """A LivePlot listener: the status line follows the plot with no extra API calls, and says what
        happened (a rollout completed, a deployment FAILED, a rollback) until the next thing does."""
        sentence = self.narrator.update(sample)
        if sentence:
            self.last_message = sentence
        self._show(f"{self.service}: {sample.summary()}")

    # -- running actions off the kernel's thread ----------------------------------------------
    def submit(self, action: Callable, *args) -> Future:
        """Run `action(*args)` on the panel's worker thread; returns its Future at once.  A closed panel
        runs nothing and says so in its status line (a click must never fail unseen)."""
        if self.closed:
            self._note(f"this panel is closed: {action.__name__.replace('_', ' ')} did nothing. Run the cell that "
                       "makes the panel again (and the notebook from the top if its service was removed).")
            done: Future = Future()
            done.set_result(None)
            return done
        self._note(f"{action.__name__.replace('_', ' ')} ...")
        if self.follow and self._live is not None:
            self._live.start(duration=FOLLOW_SECONDS)   # or 10 more minutes of the one already sampling
            self._following = True
        future = self._worker.submit(self._guarded, action, *args)
        self._last_future = future
        return future

    def wait(self, timeout: float | None = 60):
        """Wait for the last submitted action; returns its result or raises its error."""
        if self._last_future is None:
            return None
        return self._last_future.result(timeout)

    def close(self) -> None:
        """Stop taking actions: the buttons are disabled and the status line says the panel is closed."""
        self.closed = True
        self._worker.shutdown(wait=False)
        if self._following and self._live is not None:
            self._live.stop()       # a sampler left behind would go on asking a cloud nobody watches
        if self._widget is not None:
            for control in [*self.buttons.values(), *self.sliders.values()]:
                control.disabled = True
        self._note("panel closed (run its cell again for a new one)")

    def _service_gone(self) -> str | None:
        """Why the service cannot be acted on (deleted, or never made), else None."""
        found = self.ecs.describe_services(cluster=self.cluster, services=[self.service])["services"]
        if found and found[0].get("status") == "ACTIVE":
            return None
        state = found[0].get("status", "gone") if found else "not found"
        return (f"service {self.service} is {state}: a clean-up cell may have removed it. Run the notebook from "
                "the top to make it again.")

    def _guarded(self, action: Callable, *args):
        try:
            gone = self._service_gone()
            if gone is not None:
                self._note(f"{action.__name__.replace('_', ' ')}: nothing done, {gone}")
                self.last_error = None
                return None
            result = action(*args)
            self.last_error = None
            return result
        except Exception as error:  # shown in the status line: JupyterLab hides callback errors
            self.last_error = error
            self._note(f"{action.__name__.replace('_', ' ')} failed: {error}")
            raise

    # -- widgets ----------------------------------------------------------------------------------
    def widget(self, live=None):
        """The controls (and a LivePlot's widget under them, its samples feeding the status line)."""
        if self._widget is None:
            self._widget = self._build_widgets()
        if live is None:
            return self._widget
        import ipywidgets as widgets
        self._live = live
        if self.show_sample not in live.listeners:
            live.listeners.append(self.show_sample)
        return widgets.VBox([self._widget, live.widget()])

    def _build_widgets(self):
        import ipywidgets as widgets
        wide = {"style": {"description_width": "150px"}, "layout": widgets.Layout(width="420px")}
        self.sliders = {
            "desired": widgets.IntSlider(self._settings["desired"], DESIRED_RANGE[0],
                                         max(DESIRED_RANGE[1], 2 * self._settings["desired"]),
                                         description="desired count", **wide),
            "minimum": widgets.IntSlider(self._settings["minimum"], *MINIMUM_RANGE, step=PERCENT_STEP,
                                         description="minimumHealthy %", **wide),
            "maximum": widgets.IntSlider(self._settings["maximum"], *MAXIMUM_RANGE, step=PERCENT_STEP,
                                         description="maximum %", **wide),
        }
        self.buttons = {
            "deploy_new": widgets.Button(description="Deploy new version", icon="rocket", button_style="primary", layout=widgets.Layout(width="auto")),
            "deploy_broken": widgets.Button(description="Deploy broken version", icon="bomb", button_style="danger", layout=widgets.Layout(width="auto")),
            "kill_task": widgets.Button(description="Kill a task", icon="times", button_style="warning", layout=widgets.Layout(width="auto")),
            "scale": widgets.Button(description="Scale to desired count", icon="arrows-v", layout=widgets.Layout(width="auto")),
        }
        for name, button in self.buttons.items():
            button.on_click(lambda _, action=getattr(self, name): self.submit(action))  # noqa: B008 (binds this loop's action)
        self.status = widgets.Label(self._status_line())
        hint = widgets.HTML("<small>The percentages apply with the next deploy; scaling makes no deployment.</small>")
        return widgets.VBox([widgets.HBox(list(self.buttons.values())),
                             widgets.HBox([widgets.VBox(list(self.sliders.values())), hint]), self.status])

    def _sync_sliders(self) -> None:
        if self._widget is not None:
            for name, slider in self.sliders.items():
                slider.value = self._settings[name]

    # -- helpers --------------------------------------------------------------------------------
    def _slider_value(self, name: str, given: int | None) -> int:
        if given is not None:
            self._settings[name] = given
            self._sync_sliders()
        elif self._widget is not None:
            self._settings[name] = self.sliders[name].value
        return self._settings[name]

    def _deploy(self, task_definition: str, what: str) -> str:
        config: dict[str, Any] = {"minimumHealthyPercent": self._slider_value("minimum", None),
                                  "maximumPercent": self._slider_value("maximum", None)}
        if self.circuit_breaker:
            config["deploymentCircuitBreaker"] = {"enable": True, "rollback": True}
        service = self.ecs.update_service(cluster=self.cluster, service=self.service, taskDefinition=task_definition,
                                          deploymentConfiguration=config, forceNewDeployment=True)["service"]
        deployment = service["deployments"][0]["id"]  # the new PRIMARY comes first
        self._note(f"deploying {what} {short_task_definition(task_definition)} as {deployment} "
                   f"(min {config['minimumHealthyPercent']} %, max {config['maximumPercent']} %)")
        return deployment

    def _current_settings(self) -> dict[str, int]:
        """The sliders start where the service is (defaults if it does not exist yet)."""
        found = self.ecs.describe_services(cluster=self.cluster, services=[self.service])["services"]
        config = found[0].get("deploymentConfiguration", {}) if found else {}
        return {"desired": found[0]["desiredCount"] if found else 1,
                "minimum": config.get("minimumHealthyPercent", 100), "maximum": config.get("maximumPercent", 200)}

    def _note(self, message: str) -> None:
        """What the panel did last: the right half of the status line."""
        self.last_message = message
        self._update_status()

    def _show(self, service_line: str) -> str:
        """How the service is: the left half of the status line."""
        self._service_line = service_line
        return self._update_status()

    def _status_line(self) -> str:
        return f"{self._service_line}  |  {self.last_message}" if self._service_line else self.last_message

    def _update_status(self) -> str:
        line = self._status_line()
        if self._widget is not None:
            self.status.value = line  # a trait: safe from the worker thread
        return line
