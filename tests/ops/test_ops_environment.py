"""`--env` points `prakerja ops` at a deployed environment's resource names (CDK prefixes
every name with the environment); without it the bare local names are used."""

from __future__ import annotations

from support.lifecycle_steps import open_wave, register_started_at_registration

from prakerja.ops.aws import connect, physical_name, set_environment


def test_env_prefixes_the_table_and_state_machine_names(cloud, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-3")
    try:
        set_environment("staging")
        target = connect(None, None, None)
        assert target.table_name == "staging-prakerja-flow"
        assert target.state_machine_arn.endswith(":stateMachine:staging-participant-lifecycle")
        assert target.execution_arn("P1").endswith(":execution:staging-participant-lifecycle:P1")
        assert connect(None, None, "my-table").table_name == "my-table"  # an explicit --table wins
    finally:
        set_environment(None)
    assert physical_name("prakerja-flow") == "prakerja-flow"


def test_a_wrong_env_is_one_clear_line_and_the_right_one_answers(cloud, ops):
    open_wave(cloud)
    pid = register_started_at_registration(cloud)
    code, out, err, _ = ops("--env", "staging", "participant", pid)
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and "staging-prakerja-flow" in err, err
    code, out, _, view = ops("participant", pid, "--json")
    assert code == 0 and view["current_state"] == "AwaitTrainingPurchase", view
