"""Names the functions log and emit metrics under, which the CDK app's alarms and dashboard
are built on (infra/ reads them through the catalogue)."""

from __future__ import annotations

SERVICE_NAME = "prakerja-flow"
METRICS_NAMESPACE = "PrakerjaFlow"

# Business metrics of the payout run (namespace METRICS_NAMESPACE): one count per
# outcome that needs watching, and the rupiah paid.
PAYOUT_OUTCOME_METRICS = {
    "paid": "PayoutsPaid",
    "failed": "PayoutsFailed",
    "unknown": "PayoutsOutcomeUnknown",
    # held because the provider's answers say our configuration is wrong (alarmed)
    "misconfigured": "PayoutsProviderMisconfigured",
}
PAYOUT_MISCONFIGURED_METRIC = PAYOUT_OUTCOME_METRICS["misconfigured"]
PAYOUT_AMOUNT_METRIC = "PayoutsPaidIdr"
# 1 when a run stopped before its Lambda timeout with payouts still queued (a backlog).
PAYOUT_RUN_STOPPED_EARLY_METRIC = "PayoutRunStoppedEarly"
# Reconciliation job: mismatches between the provider's statement and our ledger (alarm on > 0).
RECONCILIATION_MISMATCH_METRIC = "ReconciliationMismatches"
# Shards whose child of the payout-run state machine failed (caught by its Map); alarmed.
PAYOUT_SHARDS_FAILED_METRIC = "PayoutShardsFailed"
