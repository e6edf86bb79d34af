"""Compose files (+ ecs-params.yml) -> RegisterTaskDefinition kwargs (fargate_lab.compose)."""
from __future__ import annotations

import json
import textwrap
import warnings
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.validate import validate_parameters

from fargate_lab.compose import ComposeError, ComposeWarning, EcsParams, read_ecs_params, to_task_definition

from tests.paths import EXAMPLES

EXAMPLE = EXAMPLES / "talk"
INPUT_SHAPE = botocore.session.get_session().get_service_model("ecs").operation_model("RegisterTaskDefinition").input_shape
ROLE = "task_definition:\n  task_execution_role: ecsTaskExecutionRole\n"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Variables the examples use must come from the files, not from the developer's shell."""
    for name in ("COMPOSE_PROJECT_NAME", "COMPOSE_PROFILES", "APP_VERSION", "APP_ENV", "PHP_OPCACHE_ENABLE",
                 "TAG", "GREETING", "FROM_SHELL", "UNSET_VAR", "REQUIRED", "EMPTY"):
        monkeypatch.delenv(name, raising=False)


def valid(kwargs: dict) -> dict:
    """Every produced dict must pass botocore's own RegisterTaskDefinition input validation."""
    validate_parameters(kwargs, INPUT_SHAPE)
    return kwargs


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def translate(tmp_path: Path, compose: str | list[str], params: str | None = None, project_name: str | None = "demo",
              **extra_files: str) -> dict:
    directory = tmp_path / "project"
    names = []
    for index, text in enumerate([compose] if isinstance(compose, str) else compose):
        names.append(write(directory, "docker-compose.yml" if index == 0 else f"override{index}.yml", text))
    for name, text in extra_files.items():
        write(directory, name.replace("__", "."), text)   # dot_env -> use "__env" for ".env"
    params_path = write(directory, "ecs-params.yml", params) if params is not None else None
    return valid(to_task_definition(names if len(names) > 1 else names[0], params_path, project_name))


def containers(kwargs: dict) -> dict[str, dict]:
    return {c["name"]: c for c in kwargs["containerDefinitions"]}


def quietly(call, *args, **kwargs):
    """Call without showing ComposeWarnings (for a second read already checked elsewhere)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ComposeWarning)
        return call(*args, **kwargs)


def no_warnings(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ComposeWarning)
        return call(*args, **kwargs)


# ----------------------------------------------------------------------------- the talk's pattern

def talk_definition(**kwargs) -> dict:
    return valid(to_task_definition(EXAMPLE / "docker-compose.yml", EXAMPLE / "ecs-params.yml", **kwargs))


def test_talk_example_translates_cleanly():
    kwargs = valid(no_warnings(talk_definition, project_name="my-application"))
    assert kwargs["family"] == "my-application"
    assert kwargs["volumes"] == [{"name": "code"}]
    assert (kwargs["networkMode"], kwargs["requiresCompatibilities"]) == ("awsvpc", ["FARGATE"])
    assert (kwargs["cpu"], kwargs["memory"]) == ("512", "1024")        # 0.5 vCPU / 1GB
    assert kwargs["executionRoleArn"] == "ecsTaskExecutionRole"        # names pass through
    by_name = containers(kwargs)
    assert list(by_name) == ["app", "php", "nginx"]
    assert by_name["app"]["image"] == "fargatelab/app:v1"
    assert by_name["php"]["image"] == "php:8.3-fpm-alpine"
    assert by_name["nginx"]["image"] == "nginx:1.27-alpine"
    for name in ("app", "php", "nginx"):
        assert [m["sourceVolume"] for m in by_name[name]["mountPoints"]] == ["code"]
        assert by_name[name]["mountPoints"][0]["containerPath"] == "/var/www"
    assert by_name["nginx"]["mountPoints"][0]["readOnly"] is True
    assert by_name["app"]["essential"] is False
    assert by_name["php"]["essential"] is True and by_name["nginx"]["essential"] is True
    for name in ("php", "nginx"):
        assert by_name[name]["dependsOn"] == [{"containerName": "app", "condition": "SUCCESS"}]
    assert by_name["nginx"]["portMappings"] == [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}]
    assert by_name["nginx"]["logConfiguration"] == {"logDriver": "awslogs", "options": {
        "awslogs-group": "/ecs/my-application", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "my-application"}}
    assert {e["name"]: e["value"] for e in by_name["php"]["environment"]} == {"APP_ENV": "production",
                                                                              "PHP_OPCACHE_ENABLE": "1"}


def test_talk_example_family_defaults_to_the_directory_and_env_wins_over_dotenv(monkeypatch):
    assert talk_definition()["family"] == "talk"
    monkeypatch.setenv("COMPOSE_PROJECT_NAME", "from-env")
    monkeypatch.setenv("APP_VERSION", "v2")       # one tag to deploy a release
    kwargs = talk_definition()
    assert kwargs["family"] == "from-env"
    assert containers(kwargs)["app"]["image"] == "fargatelab/app:v2"
    assert talk_definition(project_name="given")["family"] == "given"


def test_talk_example_run_params():
    params = read_ecs_params(EXAMPLE / "ecs-params.yml")
    assert isinstance(params, EcsParams)
    assert (params.subnets, params.security_groups, params.assign_public_ip) == ((), (), "ENABLED")
    assert params.network_configuration(subnets=["subnet-a", "subnet-b"], security_groups=["sg-1"]) == {
        "awsvpcConfiguration": {"subnets": ["subnet-a", "subnet-b"], "securityGroups": ["sg-1"], "assignPublicIp": "ENABLED"}}
    with pytest.raises(ComposeError, match=r"ecs-params\.yml: run_params\.network_configuration\.awsvpc_configuration\.subnets"):
        params.network_configuration()


TALK_WITHOUT_PARAMS = """
    services:
      app:
        image: fargatelab/app:v1
        volumes: [code:/var/www]
      php:
        image: php:8.3-fpm-alpine
        volumes: [code:/var/www]
        depends_on: {app: {condition: service_completed_successfully}}
      nginx:
        image: nginx:1.27-alpine
        ports: ["80"]
        volumes: ["code:/var/www:ro"]
        depends_on: {app: {condition: service_completed_successfully}}
    volumes:
      code: {}
"""


def test_a_container_others_wait_to_finish_is_made_non_essential_with_a_warning(tmp_path):
    with pytest.warns(ComposeWarning, match=r"docker-compose\.yml: services\.php\.depends_on\.app: app made non-essential"):
        kwargs = translate(tmp_path, TALK_WITHOUT_PARAMS)
    by_name = containers(kwargs)
    assert [by_name[n]["essential"] for n in ("app", "php", "nginx")] == [False, True, True]
    assert (kwargs["cpu"], kwargs["memory"]) == ("256", "512")       # the smallest Fargate size
    assert "executionRoleArn" not in kwargs


def test_essential_true_for_a_container_others_wait_to_finish_is_an_error(tmp_path):
    params = "task_definition:\n  services:\n    app:\n      essential: true\n"
    with pytest.raises(ComposeError, match=r"ecs-params\.yml: task_definition\.services\.app\.essential: php waits"):
        translate(tmp_path, TALK_WITHOUT_PARAMS, params)


def test_talk_example_registers_on_the_local_cloud(tmp_path):
    from fargate_lab import local
    cloud = local.start(seed=0)
    try:
        ecs = boto3.client("ecs")
        kwargs = talk_definition(project_name="my-application")
        registered = ecs.register_task_definition(**kwargs)["taskDefinition"]
        assert registered["taskDefinitionArn"].endswith(":task-definition/my-application:1")
        assert "FARGATE" in registered["compatibilities"]
        assert registered["volumes"] == [{"name": "code"}]
        assert {c["name"]: c["essential"] for c in registered["containerDefinitions"]} == {
            "app": False, "php": True, "nginx": True}
        # A failed translation raises before any AWS call: nothing else gets registered.
        bad = write(tmp_path, "bad/docker-compose.yml", "services:\n  web:\n    build: .\n")
        with pytest.raises(ComposeError):
            ecs.register_task_definition(**to_task_definition(bad))
        assert ecs.list_task_definitions()["taskDefinitionArns"] == [registered["taskDefinitionArn"]]
    finally:
        cloud.stop()


# ----------------------------------------------------------------------------- versions

@pytest.mark.parametrize("version", ['"2.4"', '"3.8"', "3.8", '"3"', '"2"', None])
def test_versions_2_3_and_unversioned_give_the_same_definition(tmp_path, version):
    body = """
        services:
          web:
            image: fargatelab/web:v1
            ports: ["80"]
            mem_limit: 512m
            cpu_shares: 256
    """
    text = textwrap.dedent(body) if version is None else f"version: {version}\n" + textwrap.dedent(body)
    kwargs = translate(tmp_path, text)
    assert containers(kwargs)["web"] == {"name": "web", "image": "fargatelab/web:v1", "essential": True, "cpu": 256,
                                         "memory": 512, "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}]}


def test_version_3_deploy_resources(tmp_path):
    kwargs = translate(tmp_path, """
        version: "3.8"
        services:
          web:
            image: fargatelab/web:v1
            deploy:
              resources:
                limits: {cpus: "0.5", memory: 1G}
                reservations: {memory: 256M}
    """)
    web = containers(kwargs)["web"]
    assert (web["cpu"], web["memory"], web["memoryReservation"]) == (512, 1024, 256)
    assert (kwargs["cpu"], kwargs["memory"]) == ("512", "1024")


# ----------------------------------------------------------------------------- merging several files

def test_multi_file_merge_follows_docker_compose(tmp_path):
    base = """
        services:
          web:
            image: fargatelab/web:v1
            command: ["nginx", "-g", "daemon off;"]
            environment: [A=1, B=2]
            labels: {team: web}
            ports: ["80"]
            volumes: ["data:/data", "logs:/logs"]
            logging:
              driver: awslogs
              options: {awslogs-group: /ecs/web, awslogs-region: us-east-1, awslogs-stream-prefix: web}
          worker:
            image: busybox
            cap_drop: [NET_RAW]
        volumes: {data: {}, logs: {}, other: {}}
    """
    override = """
        services:
          web:
            image: fargatelab/web:v2
            command: nginx -T
            environment: {B: "3", C: "4"}
            labels: [tier=front]
            ports: ["80", "443"]
            volumes: ["other:/data:ro"]
            logging:
              options: {awslogs-group: /ecs/web-prod}
          worker:
            cap_drop: [MKNOD]
    """
    kwargs = translate(tmp_path, [base, override], ROLE)
    web, worker = containers(kwargs)["web"], containers(kwargs)["worker"]
    assert web["image"] == "fargatelab/web:v2"
    assert web["command"] == ["nginx", "-T"]                                 # replaced, not merged
    assert web["environment"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}, {"name": "C", "value": "4"}]
    assert web["dockerLabels"] == {"team": "web", "tier": "front"}
    assert [p["containerPort"] for p in web["portMappings"]] == [80, 443]   # no duplicate 80
    assert web["mountPoints"] == [{"sourceVolume": "other", "containerPath": "/data", "readOnly": True},
                                  {"sourceVolume": "logs", "containerPath": "/logs", "readOnly": False}]
    assert web["logConfiguration"]["options"] == {"awslogs-group": "/ecs/web-prod", "awslogs-region": "us-east-1",
                                                  "awslogs-stream-prefix": "web"}
    assert worker["linuxParameters"]["capabilities"] == {"drop": ["NET_RAW", "MKNOD"]}
    assert kwargs["volumes"] == [{"name": "logs"}, {"name": "other"}]       # only volumes in use


def test_reset_and_override_tags(tmp_path):
    base = """
        services:
          web:
            image: fargatelab/web:v1
            ports: ["80", "443"]
            environment: {A: "1", B: "2"}
            labels: {x: "1"}
    """
    override = """
        services:
          web:
            ports: !override ["8443:8443"]
            environment: !override {C: "3"}
            labels: !reset {}
    """
    web = containers(translate(tmp_path, [base, override]))["web"]
    assert [p["containerPort"] for p in web["portMappings"]] == [8443]
    assert web["environment"] == [{"name": "C", "value": "3"}]
    assert "dockerLabels" not in web


def test_reset_removes_a_service_whose_name_yaml_reads_as_a_number(tmp_path):
    base = """
        services:
          web:
            image: fargatelab/web:v1
          1:
            image: busybox
    """
    override = """
        services:
          1: !reset null
    """
    assert set(containers(translate(tmp_path, [base, override]))) == {"web"}


def test_errors_name_the_file_that_set_the_field(tmp_path):
    base = "services:\n  web:\n    image: fargatelab/web:v1\n"
    override = "services:\n  web:\n    privileged: true\n"
    with pytest.raises(ComposeError, match=r"override1\.yml: services\.web\.privileged: "):
        translate(tmp_path, [base, override])


# ----------------------------------------------------------------------------- interpolation, .env, env_file

def test_dotenv_interpolation_and_environment_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("FROM_SHELL", "shell")
    monkeypatch.setenv("GREETING", "from the shell")
    compose = """
        services:
          web:
            image: "fargatelab/web:${TAG:-v1}"
            environment:
              GREETING: ${GREETING}
              SHELL_ONLY: $FROM_SHELL
              DEFAULTED: ${EMPTY:-fallback}
              DASH_DEFAULT: ${EMPTY-kept-empty}
              PLUS: ${TAG:+tag-is-set}
              NESTED: ${UNSET_VAR:-${TAG}}
              LITERAL: "$$HOME costs $${TAG}"
    """
    web = containers(translate(tmp_path, compose, __env="TAG=v3\nGREETING='from .env'\nEMPTY=\n"))["web"]
    env = {e["name"]: e["value"] for e in web["environment"]}
    assert web["image"] == "fargatelab/web:v3"
    assert env == {"GREETING": "from the shell", "SHELL_ONLY": "shell", "DEFAULTED": "fallback", "DASH_DEFAULT": "",
                   "PLUS": "tag-is-set", "NESTED": "v3", "LITERAL": "$HOME costs ${TAG}"}
    assert [e["name"] for e in web["environment"]] == sorted(env)


def test_unset_variable_warns_and_becomes_empty(tmp_path):
    with pytest.warns(ComposeWarning, match=r'docker-compose\.yml: services\.web\.environment\.X: the "UNSET_VAR" variable is not set'):
        web = containers(translate(tmp_path, "services:\n  web:\n    image: nginx\n    environment:\n      X: a${UNSET_VAR}b\n"))["web"]
    assert web["environment"] == [{"name": "X", "value": "ab"}]


def test_env_file_and_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FROM_SHELL", "shell")
    compose = """
        services:
          web:
            image: nginx
            env_file: [config/common.env, {path: config/missing.env, required: false}, config/web.env]
            environment:
              - OVERRIDDEN=by environment
              - FROM_SHELL
              - TAG
    """
    files = {"config/common.env": """
                # comment
                export COMMON=yes
                OVERRIDDEN=by env_file
                QUOTED="a b # not a comment"
                SINGLE='${NOT_EXPANDED}'
                TRAILING=value # a comment
             """,
             "config/web.env": "COMMON=web wins\nUSES_DOTENV=${TAG}-x\n",
             "__env": "TAG=v9\n"}
    web = containers(translate(tmp_path, compose, **files))["web"]
    assert {e["name"]: e["value"] for e in web["environment"]} == {
        "COMMON": "web wins", "OVERRIDDEN": "by environment", "QUOTED": "a b # not a comment",
        "SINGLE": "${NOT_EXPANDED}", "TRAILING": "value", "USES_DOTENV": "v9-x", "FROM_SHELL": "shell", "TAG": "v9"}


def test_bare_environment_key_that_is_unset_is_left_out_with_a_warning(tmp_path):
    with pytest.warns(ComposeWarning, match=r"services\.web\.environment\.UNSET_VAR: not set"):
        web = containers(translate(tmp_path, "services:\n  web:\n    image: nginx\n    environment: [UNSET_VAR, A=1]\n"))["web"]
    assert web["environment"] == [{"name": "A", "value": "1"}]


def test_environment_values_keep_their_yaml_text(tmp_path):
    web = containers(translate(tmp_path, """
        services:
          web:
            image: nginx
            environment: {PORT: 8080, DEBUG: true, ANSWER: yes, RATIO: 0.5, EMPTY: ""}
    """))["web"]
    assert {e["name"]: e["value"] for e in web["environment"]} == {
        "PORT": "8080", "DEBUG": "true", "ANSWER": "yes", "RATIO": "0.5", "EMPTY": ""}


# ----------------------------------------------------------------------------- field mappings

def test_command_entrypoint_and_plain_fields(tmp_path):
    compose = """
        services:
          web:
            image: nginx
            entrypoint: /docker-entrypoint.sh --verbose
            command: 'sh -c "echo hello world"'
            working_dir: /srv
            user: "1000"
            labels: [com.example.team=web, flag]
            read_only: true
            tty: true
            stdin_open: false
            stop_grace_period: 1m30s
            init: true
            cap_add: [SYS_PTRACE]
            cap_drop: [ALL]
            sysctls: {net.core.somaxconn: 1024}
            ulimits:
              nproc: 65535
              nofile: {soft: 1024, hard: 4096}
            x-aws-pull_credentials: arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub
          sidecar:
            image: busybox
            volumes_from: ["web:ro"]
    """
    by_name = containers(translate(tmp_path, compose, ROLE))
    web = by_name["web"]
    assert web["entryPoint"] == ["/docker-entrypoint.sh", "--verbose"]
    assert web["command"] == ["sh", "-c", "echo hello world"]
    assert (web["workingDirectory"], web["user"]) == ("/srv", "1000")
    assert web["dockerLabels"] == {"com.example.team": "web", "flag": ""}
    assert (web["readonlyRootFilesystem"], web["pseudoTerminal"], web["interactive"]) == (True, True, False)
    assert web["stopTimeout"] == 90
    assert web["linuxParameters"] == {"capabilities": {"add": ["SYS_PTRACE"], "drop": ["ALL"]}, "initProcessEnabled": True}
    assert web["systemControls"] == [{"namespace": "net.core.somaxconn", "value": "1024"}]
    assert web["ulimits"] == [{"name": "nofile", "softLimit": 1024, "hardLimit": 4096},
                              {"name": "nproc", "softLimit": 65535, "hardLimit": 65535}]
    assert web["repositoryCredentials"] == {"credentialsParameter": "arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub"}
    assert by_name["sidecar"]["volumesFrom"] == [{"sourceContainer": "web", "readOnly": True}]


def test_ports(tmp_path):
    compose = """
        services:
          web:
            image: nginx
            ports:
              - 80
              - "443:443"
              - "127.0.0.1:53:53/udp"
              - "8000-8001"
              - {target: 9000, published: "9000", protocol: tcp, name: fpm, app_protocol: http}
    """
    with pytest.warns(ComposeWarning, match=r"services\.web\.ports\[2\]: host IP 127\.0\.0\.1 ignored"):
        web = containers(translate(tmp_path, compose))["web"]
    assert web["portMappings"] == [
        {"containerPort": 80, "hostPort": 80, "protocol": "tcp"},
        {"containerPort": 443, "hostPort": 443, "protocol": "tcp"},
        {"containerPort": 53, "hostPort": 53, "protocol": "udp"},
        {"containerPort": 8000, "hostPort": 8000, "protocol": "tcp"},
        {"containerPort": 8001, "hostPort": 8001, "protocol": "tcp"},
        {"containerPort": 9000, "hostPort": 9000, "protocol": "tcp", "name": "fpm", "appProtocol": "http"}]


def test_a_published_port_remap_runs_on_the_container_port_with_a_warning(tmp_path):
    """'8000:80', the mapping of most published files: the task listens on 80 and one line says how to
    serve 8000; --strict refuses it instead."""
    compose = 'services:\n  web:\n    image: nginx\n    ports: ["8000:80"]\n'
    with pytest.warns(ComposeWarning) as said:
        definition = translate(tmp_path, compose)
    assert definition["containerDefinitions"][0]["portMappings"] == [
        {"containerPort": 80, "hostPort": 80, "protocol": "tcp"}]
    lines = [str(w.message) for w in said]
    assert len(lines) == 1 and "\n" not in lines[0], lines
    assert lines[0].split("/")[-1].startswith("docker-compose.yml: services.web.ports[0]: '8000:80': ")
    assert "container port 80, not 8000" in lines[0] and "listener on 8000" in lines[0]
    with pytest.raises(ComposeError, match=r"docker-compose\.yml: services\.web\.ports\[0\]: .*drop --strict$"):
        to_task_definition(str(tmp_path / "project" / "docker-compose.yml"), strict=True)


def test_build_next_to_image_runs_the_image_and_build_alone_is_refused(tmp_path):
    with pytest.warns(ComposeWarning, match=r"services\.web\.build: ignored: ECS runs the image 'shop/web:2'"):
        definition = translate(tmp_path, "services:\n  web:\n    build: .\n    image: shop/web:2\n")
    assert definition["containerDefinitions"][0]["image"] == "shop/web:2"
    with pytest.raises(ComposeError, match=r"services\.web\.build: not supported on ECS; ECS runs images"):
        translate(tmp_path, "services:\n  web:\n    build: .\n")


def test_awslogs_without_a_role_uses_the_one_up_creates_named_in_a_warning(tmp_path):
    compose = ("services:\n  web:\n    image: nginx\n    logging:\n      driver: awslogs\n      options:\n"
               "        awslogs-group: /ecs/web\n        awslogs-region: us-east-1\n        awslogs-stream-prefix: web\n")
    role = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
    path = write(tmp_path, "docker-compose.yml", compose)
    with pytest.warns(ComposeWarning, match=r"services\.web\.logging: the awslogs driver on Fargate needs a task "
                                            r"execution role and ecs-params names none: using ecsTaskExecutionRole"):
        definition = to_task_definition(str(path), execution_role=role)
    assert definition["executionRoleArn"] == role
    with pytest.raises(ComposeError, match=r"or run `fargate-lab up`, which creates ecsTaskExecutionRole$"):
        to_task_definition(str(path))                      # no role to fall back on: the error, with both fixes
    params = write(tmp_path, "ecs-params.yml", "version: 1\ntask_definition:\n  task_execution_role: mine\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ComposeWarning)     # ecs-params names one: no warning, that one is used
        assert to_task_definition(str(path), str(params), execution_role=role)["executionRoleArn"] == "mine"


@pytest.mark.parametrize("key, value", [("environment", "{nested: value}"), ("environment", "[a, b]"),
                                        ("labels", "{nested: value}"), ("sysctls", "[1, 2]")])
def test_a_map_or_list_as_a_value_is_refused_as_compose_refuses_it(tmp_path, key, value):
    compose = f"services:\n  web:\n    image: nginx\n    {key}:\n      CONFIG: {value}\n"
    with pytest.raises(ComposeError) as refused:
        translate(tmp_path, compose)
    message = str(refused.value)
    assert message.split("/")[-1].startswith(f"docker-compose.yml: services.web.{key}.CONFIG: contains a ")
    assert "which is an invalid type; it should be a string, number, boolean or null" in message
    assert "\n" not in message


def test_bridge_mode_on_ec2(tmp_path):
    params = "task_definition:\n  ecs_network_mode: bridge\n"
    compose = """
        services:
          web:
            image: nginx
            ports: ["8080:80", "81", "22:22"]
            links: [db]
            hostname: web
            dns: [10.0.0.2]
            extra_hosts: ["db.internal:10.0.0.5"]
            privileged: true
          db:
            image: postgres
            mem_reservation: 256m
    """
    kwargs = translate(tmp_path, compose, params)
    assert (kwargs["networkMode"], kwargs["requiresCompatibilities"]) == ("bridge", ["EC2"])
    assert "cpu" not in kwargs and "memory" not in kwargs
    web, db = containers(kwargs)["web"], containers(kwargs)["db"]
    assert web["portMappings"] == [{"containerPort": 80, "hostPort": 8080, "protocol": "tcp"},
                                   {"containerPort": 81, "hostPort": 0, "protocol": "tcp"},
                                   {"containerPort": 22, "hostPort": 22, "protocol": "tcp"}]   # YAML 1.2: "22:22" is text
    assert (web["links"], web["hostname"], web["dnsServers"], web["privileged"]) == (["db"], "web", ["10.0.0.2"], True)
    assert web["extraHosts"] == [{"hostname": "db.internal", "ipAddress": "10.0.0.5"}]
    assert web["memory"] == 512                   # ecs-cli's default when nothing else says
    assert db["memoryReservation"] == 256 and "memory" not in db


@pytest.mark.parametrize("value, seconds", [("30s", 30), ("1m30s", 90), ("2m", 120), ("5000ms", 5), (45, 45), ("1m0.5s", None)])
def test_healthcheck_durations(tmp_path, value, seconds):
    compose = f"""
        services:
          web:
            image: nginx
            healthcheck:
              test: curl -f http://localhost/ || exit 1
              interval: {value!r}
              timeout: 5s
              retries: 3
              start_period: 1m
    """
    if seconds is None:
        with pytest.raises(ComposeError, match=r"services\.web\.healthcheck\.interval: .* whole number of seconds"):
            translate(tmp_path, compose)
        return
    web = containers(translate(tmp_path, compose))["web"]
    assert web["healthCheck"] == {"command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], "interval": seconds,
                                  "timeout": 5, "retries": 3, "startPeriod": 60}


@pytest.mark.parametrize("healthcheck, expected", [
    ({"test": ["CMD", "curl", "-f", "http://localhost"]}, {"command": ["CMD", "curl", "-f", "http://localhost"]}),
    ({"test": ["CMD-SHELL", "pgrep nginx"]}, {"command": ["CMD-SHELL", "pgrep nginx"]}),
    ({"test": ["NONE"]}, None),
    ({"test": "true", "disable": True}, None),
])
def test_healthcheck_forms(tmp_path, healthcheck, expected):
    compose = "services:\n  web:\n    image: nginx\n    healthcheck: " + json.dumps(healthcheck) + "\n"
    assert containers(translate(tmp_path, compose))["web"].get("healthCheck") == expected


@pytest.mark.parametrize("text, mib", [("512m", 512), ("1g", 1024), ("1.5g", 1536), ("536870912", 512),
                                       ("2048MiB", 2048), ("1048576k", 1024), ("1GB", 1024)])
def test_compose_sizes_are_bytes_converted_to_mib(tmp_path, text, mib):
    web = containers(translate(tmp_path, f"services:\n  web:\n    image: nginx\n    mem_limit: {text}\n"))["web"]
    assert web["memory"] == mib


def test_a_bare_small_number_is_bytes_and_the_error_says_so(tmp_path):
    with pytest.raises(ComposeError, match=r"services\.web\.mem_limit: 512 is 0 MiB; 512 without a unit is bytes; write 512m"):
        translate(tmp_path, "services:\n  web:\n    image: nginx\n    mem_limit: 512\n")


@pytest.mark.parametrize("resources, size", [
    ({}, ("256", "512")),
    ({"web": "mem_limit: 1g", "worker": "mem_limit: 1g"}, ("256", "2048")),
    ({"web": "mem_limit: 2g", "worker": "mem_limit: 1g"}, ("512", "3072")),
    ({"web": "cpu_shares: 1024", "worker": "mem_limit: 512m"}, ("1024", "2048")),
    ({"web": "cpus: 2", "worker": "cpus: 0.5"}, ("4096", "8192")),
])
def test_smallest_fargate_size_that_fits_the_containers(tmp_path, resources, size):
    compose = "services:\n" + "".join(
        f"  {name}:\n    image: nginx\n" + (f"    {resources[name]}\n" if name in resources else "") for name in ("web", "worker"))
    kwargs = translate(tmp_path, compose)
    assert (kwargs["cpu"], kwargs["memory"]) == size


def test_too_big_for_fargate(tmp_path):
    with pytest.raises(ComposeError, match=r"docker-compose\.yml: services: the containers need 0 cpu units and 204800 MiB"):
        translate(tmp_path, "services:\n  web:\n    image: nginx\n    mem_limit: 200g\n")


def test_depends_on_forms(tmp_path):
    compose = """
        services:
          db:
            image: postgres
            healthcheck: {test: pg_isready}
          migrate:
            image: busybox
            depends_on: [db]
          web:
            image: nginx
            depends_on:
              db: {condition: service_healthy}
              migrate: {condition: service_completed_successfully, restart: true}
    """
    with pytest.warns(ComposeWarning) as record:
        by_name = containers(translate(tmp_path, compose))
    messages = [str(w.message) for w in record]
    assert any("services.web.depends_on.migrate.restart: ignored" in m for m in messages)
    assert any("migrate made non-essential" in m for m in messages)
    assert by_name["migrate"]["dependsOn"] == [{"containerName": "db", "condition": "START"}]
    assert by_name["web"]["dependsOn"] == [{"containerName": "db", "condition": "HEALTHY"},
                                           {"containerName": "migrate", "condition": "SUCCESS"}]
    assert by_name["migrate"]["essential"] is False


def test_logging_and_secrets(tmp_path):
    compose = """
        services:
          web:
            image: nginx
            secrets: [db_password, {source: api_key, target: API_KEY}]
            logging:
              driver: awslogs
              options: {awslogs-group: /ecs/web, awslogs-region: us-east-1, awslogs-stream-prefix: web, awslogs-create-group: true}
        secrets:
          db_password:
            x-aws-value-from: arn:aws:secretsmanager:us-east-1:123456789012:secret:db
          api_key:
            external: true
            name: /prod/api-key
    """
    with pytest.warns(ComposeWarning) as record:
        web = containers(translate(tmp_path, compose, ROLE))["web"]
    assert sorted(str(w.message).split("docker-compose.yml: ")[1] for w in record) == [
        "services.web.secrets: secret api_key is given to the container as the environment variable API_KEY, "
        "not as the file /run/secrets/API_KEY",
        "services.web.secrets: secret db_password is given to the container as the environment variable db_password, "
        "not as the file /run/secrets/db_password"]
    assert web["secrets"] == [{"name": "API_KEY", "valueFrom": "/prod/api-key"},
                              {"name": "db_password", "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"}]
    assert web["logConfiguration"]["options"]["awslogs-create-group"] == "true"


def test_ignored_fields_warn_with_file_and_field(tmp_path):
    compose = """
        services:
          web:
            image: nginx
            container_name: my-web
            restart: always
            networks: [front]
            expose: ["9000"]
            deploy: {replicas: 4}
        networks: {front: {}}
    """
    with pytest.warns(ComposeWarning) as record:
        kwargs = translate(tmp_path, compose)
    messages = " | ".join(str(w.message) for w in record)
    for field in ("container_name", "restart", "networks", "expose"):
        assert f"docker-compose.yml: services.web.{field}: ignored" in messages
    assert "services.web.deploy.replicas: ignored: the desired count comes from `service scale`" in messages
    assert containers(kwargs)["web"] == {"name": "web", "image": "nginx", "essential": True}


def test_profiles(tmp_path, monkeypatch):
    compose = "services:\n  web:\n    image: nginx\n  debug:\n    image: busybox\n    profiles: [debug]\n"
    with pytest.warns(ComposeWarning, match=r"services\.debug: left out"):
        assert list(containers(translate(tmp_path, compose))) == ["web"]
    monkeypatch.setenv("COMPOSE_PROFILES", "debug")
    assert list(containers(translate(tmp_path, compose))) == ["web", "debug"]


def test_family_sources(tmp_path):
    compose = "name: from-name\nservices:\n  web:\n    image: nginx\n"
    assert translate(tmp_path, compose, project_name=None)["family"] == "from-name"
    assert translate(tmp_path, compose, project_name="explicit")["family"] == "explicit"
    odd = tmp_path / "my app.v2"
    path = write(odd, "docker-compose.yml", "services:\n  web:\n    image: nginx\n")
    assert valid(to_task_definition(path))["family"] == "my-app-v2"


# ----------------------------------------------------------------------------- ecs-params

FULL_PARAMS_FARGATE = """
    version: 1
    task_definition:
      ecs_network_mode: awsvpc
      task_role_arn: arn:aws:iam::123456789012:role/app
      task_execution_role: ecsTaskExecutionRole
      task_size: {cpu_limit: 1 vCPU, mem_limit: 2 GB}
      pid_mode: task
      services:
        web:
          essential: true
          cpu_shares: 512
          mem_limit: 1g
          mem_reservation: 512m
          init_process_enabled: true
          healthcheck:
            command: curl -f http://localhost/health
            interval: 10s
            retries: 5
          secrets:
            - {name: DB_PASSWORD, value_from: /prod/db/password}
          depends_on:
            - {container_name: app, condition: COMPLETE}
          logging:
            secret_options:
              - {name: splunk-token, value_from: /prod/splunk}
          repository_credentials:
            credentials_parameter: arn:aws:secretsmanager:us-east-1:123456789012:secret:registry
        app:
          essential: false
        router:
          essential: false
          firelens_configuration: {type: fluentbit, options: {enable-ecs-log-metadata: "true"}}
      efs_volumes:
        - name: shared
          filesystem_id: fs-12345678
          root_directory: /data
          transit_encryption: ENABLED
          transit_encryption_port: 2049
          access_point: fsap-1234
          iam: ENABLED
    run_params:
      network_configuration:
        awsvpc_configuration:
          subnets: [subnet-a, subnet-b]
          security_groups: [sg-1]
          assign_public_ip: DISABLED
      task_placement:
        strategy: [{type: spread, field: "attribute:ecs.availability-zone"}]
"""
FULL_COMPOSE = """
    services:
      app:
        image: fargatelab/app:v1
        volumes: [code:/var/www]
      web:
        image: nginx
        volumes: [code:/var/www, shared:/shared]
        healthcheck: {test: ["CMD", "true"], timeout: 3s}
        logging:
          driver: splunk
          options: {splunk-url: https://splunk.example.com}
      router:
        image: amazon/aws-for-fluent-bit
    volumes: {code: {}}
"""


def test_ecs_params_all_task_definition_sections_on_fargate(tmp_path):
    with pytest.warns(ComposeWarning, match=r"ecs-params\.yml: run_params\.task_placement: ignored"):
        kwargs = translate(tmp_path, FULL_COMPOSE, FULL_PARAMS_FARGATE)
    assert (kwargs["cpu"], kwargs["memory"], kwargs["pidMode"]) == ("1024", "2048", "task")
    assert kwargs["taskRoleArn"] == "arn:aws:iam::123456789012:role/app"
    assert kwargs["volumes"] == [{"name": "code"}, {"name": "shared", "efsVolumeConfiguration": {
        "fileSystemId": "fs-12345678", "rootDirectory": "/data", "transitEncryption": "ENABLED",
        "transitEncryptionPort": 2049, "authorizationConfig": {"accessPointId": "fsap-1234", "iam": "ENABLED"}}}]
    by_name = containers(kwargs)
    web = by_name["web"]
    assert (web["essential"], web["cpu"], web["memory"], web["memoryReservation"]) == (True, 512, 1024, 512)
    assert web["healthCheck"] == {"command": ["CMD-SHELL", "curl -f http://localhost/health"], "interval": 10,
                                  "timeout": 3, "retries": 5}
    assert web["secrets"] == [{"name": "DB_PASSWORD", "valueFrom": "/prod/db/password"}]
    assert web["dependsOn"] == [{"containerName": "app", "condition": "COMPLETE"}]
    assert web["logConfiguration"] == {"logDriver": "splunk", "options": {"splunk-url": "https://splunk.example.com"},
                                       "secretOptions": [{"name": "splunk-token", "valueFrom": "/prod/splunk"}]}
    assert web["linuxParameters"] == {"initProcessEnabled": True}
    assert web["repositoryCredentials"]["credentialsParameter"].endswith(":secret:registry")
    assert by_name["router"]["firelensConfiguration"] == {"type": "fluentbit", "options": {"enable-ecs-log-metadata": "true"}}
    assert by_name["app"]["essential"] is False

    params = quietly(read_ecs_params, tmp_path / "project" / "ecs-params.yml")
    assert params.network_configuration() == {"awsvpcConfiguration": {
        "subnets": ["subnet-a", "subnet-b"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}}
    assert params.placement() == {}
    assert params.launch_type == "FARGATE"


def test_ecs_params_on_ec2(tmp_path):
    params = """
        task_definition:
          ecs_network_mode: host
          ipc_mode: host
          pid_mode: host
          task_size: {cpu_limit: 2048, mem_limit: 4096}
          services:
            web: {gpu: "1", mem_limit: 512m}
          docker_volumes:
            - {name: cache, scope: shared, autoprovision: true, driver: local, driver_opts: {type: tmpfs}, labels: {a: b}}
          placement_constraints:
            - {type: memberOf, expression: "attribute:ecs.instance-type =~ g4dn.*"}
        run_params:
          network_configuration:
            awsvpc_configuration: {subnets: [subnet-a]}
          task_placement:
            strategy: [{type: binpack, field: memory}]
            constraints: [{type: distinctInstance}]
    """
    compose = """
        services:
          web:
            image: nginx
            ports: ["80:80"]
            volumes: [cache:/cache, /var/log/app:/logs]
            tmpfs: ["/run:size=64m,noexec"]
            devices: ["/dev/fuse:/dev/fuse:rwm"]
            shm_size: 256m
            security_opt: [label:disable]
    """
    with pytest.warns(ComposeWarning, match=r"run_params\.network_configuration\.awsvpc_configuration: ignored"):
        kwargs = translate(tmp_path, compose, params)
    assert (kwargs["networkMode"], kwargs["requiresCompatibilities"]) == ("host", ["EC2"])
    assert (kwargs["cpu"], kwargs["memory"], kwargs["ipcMode"], kwargs["pidMode"]) == ("2048", "4096", "host", "host")
    assert kwargs["placementConstraints"] == [{"type": "memberOf", "expression": "attribute:ecs.instance-type =~ g4dn.*"}]
    assert kwargs["volumes"] == [
        {"name": "cache", "dockerVolumeConfiguration": {"scope": "shared", "autoprovision": True, "driver": "local",
                                                        "driverOpts": {"type": "tmpfs"}, "labels": {"a": "b"}}},
        {"name": "host-var-log-app", "host": {"sourcePath": "/var/log/app"}}]
    web = containers(kwargs)["web"]
    assert web["resourceRequirements"] == [{"type": "GPU", "value": "1"}]
    assert web["portMappings"] == [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}]
    assert web["linuxParameters"] == {
        "devices": [{"hostPath": "/dev/fuse", "containerPath": "/dev/fuse", "permissions": ["read", "write", "mknod"]}],
        "tmpfs": [{"containerPath": "/run", "size": 64, "mountOptions": ["noexec"]}], "sharedMemorySize": 256}
    assert web["dockerSecurityOptions"] == ["label:disable"]
    params_read = quietly(read_ecs_params, tmp_path / "project" / "ecs-params.yml")
    assert params_read.network_configuration() is None
    assert params_read.placement() == {"placementConstraints": [{"type": "distinctInstance"}],
                                       "placementStrategy": [{"type": "binpack", "field": "memory"}]}


@pytest.mark.parametrize("task_size, expected", [
    ("{cpu_limit: 0.25 vCPU, mem_limit: 0.5GB}", ("256", "512")),
    ("{cpu_limit: 512}", ("512", "1024")),
    ("{mem_limit: 4GB}", ("512", "4096")),
    ("{cpu_limit: '2 vcpu', mem_limit: '16384'}", ("2048", "16384")),
])
def test_task_size_forms(tmp_path, task_size, expected):
    kwargs = translate(tmp_path, "services:\n  web:\n    image: nginx\n", f"task_definition:\n  task_size: {task_size}\n")
    assert (kwargs["cpu"], kwargs["memory"]) == expected


def test_ecs_params_interpolation_and_unknown_keys(tmp_path, monkeypatch):
    monkeypatch.setenv("FROM_SHELL", "subnet-shell")
    params = """
        version: 1
        task_definition:
          os_family: Linux
          task_execution_role: ${ROLE_NAME:-ecsTaskExecutionRole}
        run_params:
          network_configuration:
            awsvpc_configuration:
              subnets: ["${FROM_SHELL}"]
    """
    with pytest.warns(ComposeWarning, match=r"ecs-params\.yml: task_definition\.os_family: unknown ecs-params key ignored"):
        kwargs = translate(tmp_path, "services:\n  web:\n    image: nginx\n", params)
    assert kwargs["executionRoleArn"] == "ecsTaskExecutionRole"
    assert quietly(read_ecs_params, tmp_path / "project" / "ecs-params.yml").subnets == ("subnet-shell",)


# ----------------------------------------------------------------------------- determinism

@pytest.mark.filterwarnings("ignore::fargate_lab.compose.ComposeWarning")
def test_same_files_give_identical_output(tmp_path):
    first = talk_definition(project_name="p")
    second = talk_definition(project_name="p")
    assert first == second and json.dumps(first) == json.dumps(second)
    reordered = translate(tmp_path, "services:\n  web:\n    image: nginx\n    environment: {B: '2', A: '1'}\n"
                          "    secrets: [z, a]\nsecrets:\n  z: {external: true}\n  a: {external: true}\n", ROLE)
    web = containers(reordered)["web"]
    assert [e["name"] for e in web["environment"]] == ["A", "B"]
    assert [s["name"] for s in web["secrets"]] == ["a", "z"]


# ----------------------------------------------------------------------------- bad inputs

SERVICE = "services:\n  web:\n    image: nginx\n"
BAD_INPUTS = [
    # (compose, ecs-params or None, the file that must be named, the field that must be named)
    ("services:\n  web:\n    build: .\n", None, "docker-compose.yml", "services.web.build"),
    (SERVICE + "    privileged: true\n", None, "docker-compose.yml", "services.web.privileged"),
    (SERVICE + "    network_mode: host\n", None, "docker-compose.yml", "services.web.network_mode"),
    (SERVICE + "    links: [db]\n  db:\n    image: postgres\n", None, "docker-compose.yml", "services.web.links"),
    (SERVICE + "    devices: [/dev/fuse]\n", None, "docker-compose.yml", "services.web.devices"),
    (SERVICE + "    cap_add: [NET_ADMIN]\n", None, "docker-compose.yml", "services.web.cap_add"),
    (SERVICE + "    extends: {service: base}\n", None, "docker-compose.yml", "services.web.extends"),
    (SERVICE + "    environment:\n      CONFIG: {nested: value}\n", None, "docker-compose.yml",
     "services.web.environment.CONFIG"),
    ("version: '1'\nservices:\n  web: {image: nginx}\n", None, "docker-compose.yml", "version"),
    ("web:\n  image: nginx\n", None, "docker-compose.yml", "services"),
    ("services:\n  web:\n    command: x\n", None, "docker-compose.yml", "services.web.image"),
    (SERVICE + "    volumes: [data:/data]\n", None, "docker-compose.yml", "services.web.volumes[0]"),
    (SERVICE + "    volumes: ['./src:/var/www']\n", None, "docker-compose.yml", "services.web.volumes[0]"),
    (SERVICE + "    mem_limit: 512\n", None, "docker-compose.yml", "services.web.mem_limit"),
    (SERVICE + "    mem_limit: 256m\n    mem_reservation: 512m\n", None, "docker-compose.yml", "services.web.mem_limit"),
    (SERVICE + "    stop_grace_period: 5m\n", None, "docker-compose.yml", "services.web.stop_grace_period"),
    (SERVICE + "    healthcheck: {test: 'true', interval: 1s}\n", None, "docker-compose.yml", "services.web.healthcheck.interval"),
    (SERVICE + "    healthcheck: {interval: 10s}\n", None, "docker-compose.yml", "services.web.healthcheck.test"),
    (SERVICE + "    depends_on: [db]\n", None, "docker-compose.yml", "services.web.depends_on.db"),
    (SERVICE + "    depends_on: {db: {condition: service_healthy}}\n  db:\n    image: postgres\n", None,
     "docker-compose.yml", "services.web.depends_on.db"),
    (SERVICE + "    depends_on: [db]\n  db:\n    image: postgres\n    depends_on: [web]\n", None,
     "docker-compose.yml", "services.db.depends_on"),
    (SERVICE + "    enviroment: {A: 1}\n", None, "docker-compose.yml", "services.web.enviroment"),
    (SERVICE + "    volumes: [data:/data]\nvolumes:\n  data: {driver: rexray/ebs}\n", None, "docker-compose.yml", "volumes.data.driver"),
    (SERVICE + "    secrets: [db]\nsecrets:\n  db: {file: ./db.txt}\n", None, "docker-compose.yml", "secrets.db"),
    ("services:\n  web:\n    image: nginx:${REQUIRED:?set the tag}\n", None, "docker-compose.yml", "services.web.image"),
    ("services:\n  web:\n    image: nginx\n   ports: [80]\n", None, "docker-compose.yml", "line 4"),
    (SERVICE + "    hostname: web\n", None, "docker-compose.yml", "services.web.hostname"),
    (SERVICE + "    configs: [nginx_conf]\n", None, "docker-compose.yml", "services.web.configs"),
    (SERVICE + "    tmpfs: [/run]\n", None, "docker-compose.yml", "services.web.tmpfs"),
    ("services:\n  web.v2:\n    image: nginx\n", None, "docker-compose.yml", "services.web.v2"),
    ("include: [other.yml]\n" + SERVICE, None, "docker-compose.yml", "include"),
    (SERVICE + "    logging: {driver: json-file}\n", None, "docker-compose.yml", "services.web.logging.driver"),
    (SERVICE + "    logging: {driver: awslogs, options: {awslogs-group: g, awslogs-region: us-east-1}}\n", ROLE,
     "docker-compose.yml", "services.web.logging.options.awslogs-stream-prefix"),
    (SERVICE + "    logging: {driver: awslogs, options: {awslogs-group: g, awslogs-region: r, awslogs-stream-prefix: p}}\n",
     None, "docker-compose.yml", "services.web.logging"),
    (SERVICE, "task_definition:\n  task_size: {cpu_limit: 256, mem_limit: 4GB}\n", "ecs-params.yml", "task_definition.task_size"),
    (SERVICE, "task_definition:\n  task_size: {cpu_limit: lots}\n", "ecs-params.yml", "task_definition.task_size.cpu_limit"),
    (SERVICE + "    mem_limit: 1g\n", "task_definition:\n  task_size: {cpu_limit: 256, mem_limit: 512}\n",
     "ecs-params.yml", "task_definition.task_size.mem_limit"),
    (SERVICE, "task_definition:\n  docker_volumes: [{name: cache, driver: local}]\n", "ecs-params.yml", "task_definition.docker_volumes"),
    (SERVICE, "task_definition:\n  ecs_network_mode: nat\n", "ecs-params.yml", "task_definition.ecs_network_mode"),
    (SERVICE, "task_definition:\n  services:\n    nope: {essential: false}\n", "ecs-params.yml", "task_definition.services.nope"),
    (SERVICE, "task_definition:\n  services:\n    web: {essential: false}\n", "ecs-params.yml", "task_definition.services"),
    (SERVICE, "task_definition:\n  services:\n    web: {essential: 'no'}\n", "ecs-params.yml", "task_definition.services.web.essential"),
    (SERVICE, "task_definition:\n  ipc_mode: host\n", "ecs-params.yml", "task_definition.ipc_mode"),
    (SERVICE, "version: 2\n", "ecs-params.yml", "version"),
    (SERVICE, "task_definition:\n  efs_volumes: [{name: e, filesystem_id: fs-1, iam: ENABLED}]\n", "ecs-params.yml",
     "task_definition.efs_volumes[0].transit_encryption"),
    (SERVICE, "task_definition:\n  services:\n    web:\n      depends_on: [{container_name: web, condition: LATER}]\n",
     "ecs-params.yml", "task_definition.services.web.depends_on[0].condition"),
    (SERVICE, "task_definition:\n  task_execution_role: my role\n", "ecs-params.yml", "task_definition.task_execution_role"),
    (SERVICE, "task_definition:\n  services:\n    web: {mem_limit: 512}\n", "ecs-params.yml",
     "task_definition.services.web.mem_limit"),
    (SERVICE + "    secrets: [db]\n", "task_definition:\n  services:\n    web:\n      secrets: [{name: A}]\n",
     "ecs-params.yml", "task_definition.services.web.secrets[0].value_from"),
]


@pytest.mark.parametrize("compose, params, file, field", BAD_INPUTS, ids=[f"{i:02d}-{case[3]}" for i, case in enumerate(BAD_INPUTS)])
def test_bad_inputs_raise_one_line_errors_naming_file_and_field(tmp_path, compose, params, file, field):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ComposeWarning)
        with pytest.raises(ComposeError) as err:
            translate(tmp_path, compose, params)
    message = str(err.value)
    assert isinstance(err.value, ValueError)
    assert "\n" not in message
    assert message.startswith(str(tmp_path / "project" / file) + f": {field}:"), message
    assert err.value.file.endswith(file) and err.value.field == field
    assert err.value.__cause__ is None and (err.value.__context__ is None or err.value.__suppress_context__)


def test_corpus_is_big_enough():
    assert len(BAD_INPUTS) >= 15


def test_missing_compose_file():
    with pytest.raises(ComposeError, match=r"nowhere/docker-compose\.yml: file: no such file"):
        to_task_definition("nowhere/docker-compose.yml")


def test_bad_dotenv_line_names_the_env_file(tmp_path):
    with pytest.raises(ComposeError, match=r"project/\.env: line 2: not a KEY=VALUE line"):
        translate(tmp_path, SERVICE, __env="GOOD=1\nnot a line\n")


def test_x_aws_top_level_extensions_warn_and_other_extensions_are_silent(tmp_path):
    compose = "x-aws-vpc: vpc-123\nx-common: &c {image: nginx}\nservices:\n  web: *c\n"
    with pytest.warns(ComposeWarning) as record:
        kwargs = translate(tmp_path, compose)
    assert [str(w.message).split(": ", 1)[1] for w in record] == ["x-aws-vpc: ignored: this x-aws extension is not supported"]
    assert containers(kwargs)["web"]["image"] == "nginx"


def test_an_override_file_may_carry_only_top_level_sections(tmp_path):
    base = SERVICE + "    volumes: [data:/data]\n"
    kwargs = translate(tmp_path, [base, "volumes:\n  data: {}\n"])
    assert kwargs["volumes"] == [{"name": "data"}]
