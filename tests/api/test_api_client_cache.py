"""The authorizer's memory of client keys (auth/store.py): unknown key ids are remembered
for a while, within a bound (issue 12, finding 9: each new id cost a Secrets Manager call
and a cache entry forever); found secrets are reused for config.API_CLIENT_SECRET_TTL."""

from __future__ import annotations

import json
import time

import pytest
from support.lifecycle_steps import open_wave, purchase_body, register

from prakerja.local import credentials
from prakerja_flow import config
from prakerja_flow.auth import signing, store
from prakerja_flow.data import clients


@pytest.fixture
def secret_reads(cloud):
    """Every GetSecretValue call the authorizer makes, by secret id."""
    calls: list[str] = []
    events = clients.client("secretsmanager").meta.events
    handler = events.register(
        "provide-client-params.secrets-manager.GetSecretValue", lambda params, **_: calls.append(params["SecretId"])
    )
    yield calls
    events.unregister("provide-client-params.secrets-manager.GetSecretValue", handler)


def forged(path: str, body: str, key_id: str) -> dict[str, str]:
    return signing.sign("x" * 40, key_id, "POST", path, body, None, int(time.time()))


def test_many_unknown_key_ids_stay_within_the_cache_bound(cloud, secret_reads, monkeypatch):
    monkeypatch.setattr(config, "API_UNKNOWN_KEY_CACHE_SIZE", 20)
    open_wave(cloud)
    pid = register(cloud)
    path, body = f"/participants/{pid}/purchases", json.dumps(purchase_body("ORD1", 400_000))
    unknown = [f"guess-{n:04d}" for n in range(120)]
    for key_id in unknown:
        status, got = cloud.request("POST", path, body, headers=forged(path, body, key_id))
        assert (status, got["error"]["code"]) == (403, "InvalidSignature")
    assert store.cache_sizes()["unknown_key_ids"] <= 20
    assert len([s for s in secret_reads if "/guess-" in s]) == len(unknown)  # one read per new id, none more
    # The most recent ids are still remembered: guessing one again costs no read.
    reads = len(secret_reads)
    cloud.request("POST", path, body, headers=forged(path, body, unknown[-1]))
    assert len(secret_reads) == reads


def test_an_unknown_key_id_is_looked_up_again_after_its_ttl(cloud, secret_reads):
    ttl = config.API_UNKNOWN_KEY_CACHE_TTL.total_seconds()
    assert store.client_for("nobody-here", now=1_000.0) is None
    assert store.client_for("nobody-here", now=1_000.0 + ttl - 1) is None
    assert secret_reads.count(store.secret_name("nobody-here")) == 1
    assert store.client_for("nobody-here", now=1_000.0 + ttl + 1) is None
    assert secret_reads.count(store.secret_name("nobody-here")) == 2


def test_a_key_created_after_a_miss_is_found_once_the_miss_expires(cloud):
    ttl = config.API_UNKNOWN_KEY_CACHE_TTL.total_seconds()
    assert store.client_for("late-client", now=0.0) is None
    clients.client("secretsmanager").create_secret(
        Name=store.secret_name("late-client"), SecretString=store.secret_value("portal", "late", "s" * 40)
    )
    assert store.client_for("late-client", now=ttl + 1).principal_id == "late"


def test_a_found_client_secret_is_read_once_while_fresh(cloud, secret_reads):
    client = credentials.client(credentials.DEFAULT_OPERATOR)
    for _ in range(5):
        assert store.client_for(client.key_id).principal_id == client.id
    assert secret_reads.count(store.secret_name(client.key_id)) == 1
    assert store.cache_sizes()["unknown_key_ids"] == 0
