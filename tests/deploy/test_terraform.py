"""terraform/: every .tf file parses (python-hcl2), and the policies hold: nothing public,
everything encrypted, deletion protection, backups and point-in-time recovery, Multi-AZ, log
retention, typed and described variables, no secret literals, non-root read-only tasks."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"
MODULES = ["alb", "ecs", "elasticache", "kms", "network", "rds", "s3", "secrets", "ses"]
TF_FILES = sorted(TERRAFORM.rglob("*.tf"))


def _clean(value: Any) -> Any:
    """python-hcl2 keeps string quotes and block markers: strip both."""
    if isinstance(value, dict):
        return {_clean(key): _clean(item) for key, item in value.items()
                if key != "__is_block__"}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


@cache
def parsed(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        return _clean(hcl2.load(handle))


def blocks(kind: str) -> Iterator[tuple[Path, str, str, dict[str, Any]]]:
    """(file, type, name, body) of every `resource`/`data` block; (file, name, "", body) of
    every `variable`/`output`/`module` block."""
    for path in TF_FILES:
        for entry in parsed(path).get(kind, []):
            for first, rest in entry.items():
                if kind in ("resource", "data"):
                    for name, body in rest.items():
                        yield path, first, name, body
                else:
                    yield path, first, "", rest


def resources(resource_type: str) -> list[tuple[Path, str, dict[str, Any]]]:
    return [(path, name, body) for path, kind, name, body in blocks("resource")
            if kind == resource_type]


def single(resource_type: str) -> dict[str, Any]:
    found = resources(resource_type)
    assert len(found) == 1, f"{resource_type}: {len(found)}"
    return found[0][2]


def test_every_tf_file_parses() -> None:
    assert len(TF_FILES) == 3 * len(MODULES) + 4
    for path in TF_FILES:
        assert isinstance(parsed(path), dict), path


def test_modules_and_the_production_environment_wire_every_module() -> None:
    for module in MODULES:
        for name in ("main.tf", "variables.tf", "outputs.tf"):
            assert (TERRAFORM / "modules" / module / name).is_file(), (module, name)
    sources = {body["source"] for _, name, _, body in blocks("module")}
    assert sources == {f"../../modules/{module}" for module in MODULES}
    assert (TERRAFORM / "environments" / "production" / "terraform.tfvars.example").is_file()


# --- nothing public, everything encrypted ----------------------------------------------------

def test_every_bucket_is_private() -> None:
    buckets = resources("aws_s3_bucket")
    blocks_ = {body["bucket"]: body
               for _, _, body in resources("aws_s3_bucket_public_access_block")}
    assert len(buckets) == 1
    for _, name, bucket in buckets:
        guard = blocks_[f"${{aws_s3_bucket.{name}.id}}"]
        for setting in ("block_public_acls", "block_public_policy", "ignore_public_acls",
                        "restrict_public_buckets"):
            assert guard[setting] is True, setting
        assert "acl" not in bucket
    assert single("aws_s3_bucket_ownership_controls")["rule"] == [
        {"object_ownership": "BucketOwnerEnforced"}
    ]
    assert resources("aws_s3_bucket_acl") == []
    for path in TF_FILES:
        assert not re.search(r"public-read|authenticated-read", path.read_text()), path
    policy = single("aws_s3_bucket_policy")["policy"]
    assert '"aws:SecureTransport" = "false"' in policy and 'Effect = "Deny"' in policy


def test_bucket_is_encrypted_with_kms_versioned_and_has_lifecycle_rules() -> None:
    encryption = single("aws_s3_bucket_server_side_encryption_configuration")["rule"][0]
    default = encryption["apply_server_side_encryption_by_default"][0]
    assert default == {"sse_algorithm": "aws:kms", "kms_master_key_id": "${var.kms_key_arn}"}
    assert encryption["bucket_key_enabled"] is True
    assert single("aws_s3_bucket_versioning")["versioning_configuration"] == [
        {"status": "Enabled"}
    ]
    rules = single("aws_s3_bucket_lifecycle_configuration")["rule"]
    assert [rule["status"] for rule in rules] == ["Enabled", "Enabled"]
    assert "noncurrent_version_expiration" in rules[0]
    assert rules[1]["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]


def test_database_is_encrypted_multi_az_backed_up_and_protected() -> None:
    database = single("aws_db_instance")
    assert database["storage_encrypted"] is True
    assert database["kms_key_id"] == "${var.kms_key_arn}"
    assert database["performance_insights_kms_key_id"] == "${var.kms_key_arn}"
    assert database["multi_az"] is True
    assert database["deletion_protection"] is True
    assert database["skip_final_snapshot"] is False
    assert database["publicly_accessible"] is False
    assert database["backup_retention_period"] == "${var.backup_retention_days}"
    retention = _variable("rds", "backup_retention_days")
    assert retention["default"] == 14
    assert retention["validation"][0]["condition"] == (
        "${var.backup_retention_days >= 1 && var.backup_retention_days <= 35}"
    )
    environment_retention = _variable("production", "db_backup_retention_days")
    assert environment_retention["default"] > 0
    parameters = {item["name"]: item["value"]
                  for item in single("aws_db_parameter_group")["parameter"]}
    assert parameters["rds.force_ssl"] == "1"
    assert parameters["log_statement"] == "none"


def test_redis_is_encrypted_replicated_and_never_evicts() -> None:
    group = single("aws_elasticache_replication_group")
    assert group["at_rest_encryption_enabled"] is True
    assert group["transit_encryption_enabled"] is True
    assert group["kms_key_id"] == "${var.kms_key_arn}"
    assert group["auth_token"] == "${random_password.auth.result}"
    assert group["multi_az_enabled"] is True
    assert group["automatic_failover_enabled"] is True
    assert group["num_cache_clusters"] == 2
    assert group["snapshot_retention_limit"] == "${var.snapshot_retention_days}"
    assert single("aws_elasticache_parameter_group")["parameter"] == [
        {"name": "maxmemory-policy", "value": "noeviction"}
    ]


def test_kms_key_rotates_and_secrets_are_encrypted_with_it() -> None:
    key = single("aws_kms_key")
    assert key["enable_key_rotation"] is True
    secret = single("aws_secretsmanager_secret")
    assert secret["kms_key_id"] == "${var.kms_key_arn}"
    main = (TERRAFORM / "modules" / "secrets" / "main.tf").read_text()
    assert 'generated_names = ["SECRET_KEY", "DATABASE_URL", "REDIS_URL"]' in main
    assert _variable("secrets", "operator_managed_names")["default"] == [
        "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "EMAIL_URL", "WEBPUSH_VAPID_PRIVATE_KEY",
        "WEBPUSH_VAPID_PUBLIC_KEY"
    ]


def test_every_log_group_has_retention_and_encryption() -> None:
    groups = resources("aws_cloudwatch_log_group")
    assert len(groups) == 2  # the processes' (for_each) and the VPC flow log's
    for _, _, group in groups:
        assert group["retention_in_days"] == "${var.log_retention_days}"
        assert group["kms_key_id"] == "${var.kms_key_arn}"
    assert _variable("production", "log_retention_days")["default"] == 90
    for module in ("ecs", "network"):
        assert "default" not in _variable(module, "log_retention_days")  # passed explicitly


def test_the_load_balancer_serves_the_apex_and_every_subdomain_over_tls() -> None:
    certificate = single("aws_acm_certificate")
    assert certificate["domain_name"] == "${var.platform_domain}"
    assert certificate["subject_alternative_names"] == ["*.${var.platform_domain}"]
    records = {name: body for _, name, body in resources("aws_route53_record")}
    assert records["apex"]["name"] == "${var.platform_domain}"
    assert records["wildcard"]["name"] == "*.${var.platform_domain}"
    for name in ("apex", "wildcard"):
        assert records[name]["alias"][0]["name"] == "${aws_lb.this.dns_name}"
    listeners = {name: body for _, name, body in resources("aws_lb_listener")}
    assert listeners["https"]["protocol"] == "HTTPS"
    assert listeners["https"]["ssl_policy"].startswith("ELBSecurityPolicy-TLS13")
    assert listeners["http"]["default_action"][0]["redirect"][0]["protocol"] == "HTTPS"
    balancer = single("aws_lb")
    assert balancer["drop_invalid_header_fields"] is True
    assert balancer["enable_deletion_protection"] is True
    assert single("aws_lb_target_group")["health_check"][0]["path"] == "/healthz"


def test_network_spans_two_availability_zones() -> None:
    subnets = {name: body for _, name, body in resources("aws_subnet")}
    assert subnets["public"]["count"] == 2 and subnets["private"]["count"] == 2
    assert single("aws_nat_gateway")["count"] == 2
    assert subnets["public"]["map_public_ip_on_launch"] is False


# --- tasks ----------------------------------------------------------------------------------

def _ecs_locals() -> dict[str, Any]:
    return parsed(TERRAFORM / "modules" / "ecs" / "main.tf")["locals"][0]


def test_every_container_runs_as_non_root_with_a_read_only_root_filesystem() -> None:
    local = _ecs_locals()
    base = local["container_base"]
    assert base["user"] == "10001:10001"
    assert base["readonlyRootFilesystem"] is True
    # Every container, the sidecar included, is built on container_base and overrides neither.
    assert local["containers"].startswith("${{for process in local.processes : process => "
                                          "merge(local.container_base,")
    assert local["queue_metrics_sidecar"].startswith("${merge(local.container_base,")
    text = (TERRAFORM / "modules" / "ecs" / "main.tf").read_text()
    assert len(re.findall(r"(?m)^\s*readonlyRootFilesystem\s*=", text)) == 1
    assert len(re.findall(r"(?m)^\s*user\s*=", text)) == 1
    assert '"--config", "infra/gunicorn.conf.py"' in text
    definition = single("aws_ecs_task_definition")
    assert definition["container_definitions"] == "${jsonencode(local.task_containers[each.key])}"
    assert definition["volume"] == [{"name": "tmp"}]


def test_the_scheduler_is_exactly_one_task_and_web_and_workers_autoscale() -> None:
    services = {name: body for _, name, body in resources("aws_ecs_service")}
    assert set(services) == {"web", "worker", "scheduler"}
    scheduler = services["scheduler"]
    assert scheduler["desired_count"] == 1
    assert scheduler["deployment_maximum_percent"] == 100
    assert scheduler["deployment_minimum_healthy_percent"] == 0
    for service in services.values():
        assert service["network_configuration"][0]["assign_public_ip"] is False
    targets = {name for _, name, _ in resources("aws_appautoscaling_target")}
    assert targets == {"web", "worker"}
    policies = {name: body for _, name, body in resources("aws_appautoscaling_policy")}
    assert set(policies) == {"web_cpu", "worker_cpu", "worker_queue_depth"}
    for name in ("web_cpu", "worker_cpu"):
        spec = policies[name]["target_tracking_scaling_policy_configuration"][0]
        assert spec["predefined_metric_specification"] == [
            {"predefined_metric_type": "ECSServiceAverageCPUUtilization"}
        ]
    queue = policies["worker_queue_depth"]["target_tracking_scaling_policy_configuration"][0]
    metrics = queue["customized_metric_specification"][0]["metrics"]
    depth = metrics[0]["metric_stat"][0]["metric"][0]
    assert (depth["namespace"], depth["metric_name"]) == ("Tandem/Queues", "QueueDepth")
    assert {"name": "Queue", "value": "all"} in depth["dimensions"]
    assert metrics[2]["expression"] == "IF(tasks > 0, depth / tasks, depth)"
    # The metric the app publishes is the one the policy reads.
    script = (ROOT / "infra" / "scripts" / "publish_queue_depth.py").read_text()
    assert 'NAMESPACE = "Tandem/Queues"' in script and 'METRIC = "QueueDepth"' in script


# --- variables, outputs, secrets ------------------------------------------------------------

def _variable(module: str, name: str) -> dict[str, Any]:
    folder = (TERRAFORM / "environments" / module if module == "production"
              else TERRAFORM / "modules" / module)
    for path, variable, _, body in blocks("variable"):
        if path.parent == folder and variable == name:
            return body
    raise AssertionError(f"no variable {name} in {module}")


def test_every_variable_has_a_type_and_a_description() -> None:
    variables = list(blocks("variable"))
    assert len(variables) > 60
    for path, name, _, body in variables:
        assert body.get("type"), (path, name)
        assert len(body.get("description", "")) >= 10, (path, name)


def test_every_output_is_described_and_credentials_are_sensitive() -> None:
    for path, name, _, body in blocks("output"):
        assert len(body.get("description", "")) >= 10, (path, name)
    outputs = {name: body for _, name, _, body in blocks("output")}
    assert outputs["database_url"]["sensitive"] is True
    assert outputs["redis_url"]["sensitive"] is True
    for name in ("database_url", "redis_url"):
        assert _variable("secrets", name)["sensitive"] is True


SECRET_LITERALS = [
    # password = "…", secret_key = "…", token = "…" with a literal (not an expression) value
    re.compile(r"""(?im)^\s*"?[\w-]*(password|secret|token|api_key|access_key|private_key)"""
               r"""[\w-]*"?\s*=\s*"(?!\$\{)[^"]+"\s*$"""),
    re.compile(r"(AKIA|ASIA)[0-9A-Z]{16}"),
    re.compile(r"\b(sk|rk)_(live|test)_[0-9A-Za-z]{8,}"),
    re.compile(r"\bwhsec_[0-9A-Za-z]{8,}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"postgres(ql)?://[^:\s\"]+:[^@$\s\"]+@"),
    re.compile(r"rediss?://:[^@$\s\"]+@"),
]


def test_no_secret_literals_anywhere_in_terraform() -> None:
    files = [*TF_FILES, *TERRAFORM.rglob("*.tfvars*")]
    for path in files:
        text = path.read_text()
        for pattern in SECRET_LITERALS:
            assert not pattern.search(text), (path, pattern.pattern)


def test_the_secret_scan_catches_what_it_should() -> None:
    caught = [
        '  password = "hunter2-hunter2"',
        'aws_key = "AKIAABCDEFGHIJKLMNOP"',
        'stripe = "sk_live_0123456789abcdef"',
        'url = "postgres://tandem:s3cret@db:5432/tandem"',
        'url = "rediss://:s3cret@redis:6379/0"',
    ]
    allowed = [
        '  password = random_password.master.result',
        '  auth_token = "${random_password.auth.result}"',
        'value = "postgres://${user}:${random_password.master.result}@${host}"',
    ]
    for line in caught:
        assert any(pattern.search(line) for pattern in SECRET_LITERALS), line
    for line in allowed:
        assert not any(pattern.search(line) for pattern in SECRET_LITERALS), line


# --- terraform validate, where this machine can ---------------------------------------------

PROVIDER_MIRROR = Path("/opt/tf-plugins")


@pytest.mark.skipif(shutil.which("terraform") is None
                    or not (PROVIDER_MIRROR / "registry.terraform.io/hashicorp/aws").is_dir(),
                    reason="needs terraform and a local provider mirror (no registry access)")
def test_terraform_validate(tmp_path: Path) -> None:
    """`terraform validate` of the production environment against the AWS provider from a
    local mirror. The random provider is not in the mirror, so random_password resources are
    swapped for terraform_data in a copy (same references, same types)."""
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM, copy, ignore=shutil.ignore_patterns(".terraform*"))
    for path in copy.rglob("*.tf"):
        text = path.read_text()
        text = re.sub(r'resource "random_password" "(\w+)" \{[^}]*\}',
                      r'resource "terraform_data" "\1" {\n  input = "placeholder"\n}', text)
        text = re.sub(r"random_password\.(\w+)\.result", r"terraform_data.\1.output", text)
        text = re.sub(r"    random = \{[^}]*\}\n", "", text)
        path.write_text(text)
    config = tmp_path / "terraformrc"
    config.write_text('provider_installation {\n  filesystem_mirror {\n'
                      f'    path = "{PROVIDER_MIRROR}"\n  }}\n}}\n')
    env = dict(os.environ, TF_CLI_CONFIG_FILE=str(config), TF_IN_AUTOMATION="1",
               CHECKPOINT_DISABLE="1", TF_DATA_DIR=str(tmp_path / "data"))
    workdir = copy / "environments" / "production"
    fmt = subprocess.run(["terraform", "fmt", "-check", "-recursive", str(TERRAFORM)],
                         capture_output=True, text=True, env=env, timeout=60)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    init = subprocess.run(["terraform", "init", "-backend=false", "-input=false", "-no-color"],
                          cwd=workdir, capture_output=True, text=True, env=env, timeout=120)
    assert init.returncode == 0, init.stdout + init.stderr
    validate = subprocess.run(["terraform", "validate", "-no-color"], cwd=workdir,
                              capture_output=True, text=True, env=env, timeout=120)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert "The configuration is valid." in validate.stdout
