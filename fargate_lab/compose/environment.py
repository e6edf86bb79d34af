"""environment (environment, env_file) and secrets (compose and ecs-params ones)."""
from __future__ import annotations

from .errors import ComposeError, _warn
from .files import _Project
from .interpolation import _read_env_file
from .readers import _mapping, _sequence, _text
from .service_base import _ServiceBase


def _secret_sources(project: _Project) -> dict[str, str]:
    """Top-level compose secrets -> the valueFrom (SSM parameter or Secrets Manager ARN) of each."""
    section = _mapping(project.data.get("secrets"), project.file_of("secrets"), "secrets")
    sources = {}
    for name, spec in section.items():
        file, field = project.file_of("secrets", name), f"secrets.{name}"
        spec = _mapping(spec, file, field)
        if spec.get("x-aws-value-from"):
            sources[str(name)] = _text(spec["x-aws-value-from"], file, f"{field}.x-aws-value-from")
        elif spec.get("external"):
            sources[str(name)] = str(spec.get("name") or name)
        else:
            raise ComposeError(file, field, "file/environment secrets cannot be shipped to ECS",
                               "store the value in Secrets Manager or SSM and set x-aws-value-from: <ARN or parameter> "
                               "(or external: true with name: <ARN>)")
    return sources


class _Environment(_ServiceBase):
    """environment and secrets; the plain environment is worked out once."""

    def environment(self) -> list[dict]:
        if self._environment is None:   # computed once: secrets() checks against it too
            values: dict[str, str] = {}
            for path, entries in self.env_files():
                values.update(self.resolved(entries, path, ""))
            declared = _mapping(self.spec.get("environment"), self.file("environment"), self.field("environment"))
            values.update(self.resolved(declared, self.file("environment"), self.field("environment.")))
            self._environment = [{"name": name, "value": values[name]} for name in sorted(values)]
        return self._environment

    def resolved(self, entries: dict[str, str | None], file: str, prefix: str) -> dict[str, str]:
        """Bare KEYs take their value from the environment (.env + os.environ); unset ones are dropped."""
        out = {}
        for name, value in entries.items():
            if value is None:
                value = self.project.env.get(name)
                if value is None:
                    _warn(file, prefix + name, "not set in the environment; left out of the container's environment")
                    continue
            out[name] = value
        return out

    def env_files(self) -> list[tuple[str, dict[str, str | None]]]:
        entries = _sequence(self.spec.get("env_file"), self.file("env_file"), self.field("env_file"))
        out = []
        for index, entry in enumerate(entries):
            field = self.field(f"env_file[{index}]")
            spec = entry if isinstance(entry, dict) else {"path": entry}
            if not spec.get("path"):
                raise ComposeError(self.file("env_file"), field, "path is missing", "write path: <file>")
            path = self.project.directory / str(spec["path"])
            if not path.is_file():
                if spec.get("required", True) is False:
                    continue
                raise ComposeError(self.file("env_file"), field, f"{path} does not exist",
                                   "create it, fix the path (relative to the first compose file) or set required: false")
            raw_format = spec.get("format") == "raw"
            out.append((str(path), _read_env_file(path, str(path), self.project.env.get, interpolate=not raw_format)))
        return out

    def secrets(self) -> list[dict]:
        entries = _sequence(self.spec.get("secrets"), self.file("secrets"), self.field("secrets"))
        chosen: dict[str, str] = {}
        for index, entry in enumerate(entries):
            field = self.field(f"secrets[{index}]")
            source = entry.get("source") if isinstance(entry, dict) else entry
            target = entry.get("target") if isinstance(entry, dict) else None
            if not source or str(source) not in self.secret_sources:
                raise ComposeError(self.file("secrets"), field, f"secret {source!r} is not declared",
                                   "add it under the top-level secrets: key with x-aws-value-from: <ARN>")
            variable = str(target or source)
            self.warn("secrets", f"secret {source} is given to the container as the environment variable "
                                 f"{variable}, not as the file /run/secrets/{variable}")
            chosen[variable] = self.secret_sources[str(source)]
        for item in self.extra.secrets:
            chosen[item["name"]] = item["valueFrom"]
        plain = {item["name"] for item in self.environment()}
        for name in chosen:
            if name in plain:
                raise self.fail("secrets", f"{name} is both an environment variable and a secret",
                                "remove it from environment (or env_file)")
        return [{"name": name, "valueFrom": chosen[name]} for name in sorted(chosen)]
