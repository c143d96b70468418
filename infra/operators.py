"""What an operator running `prakerja ops` (prakerja/ops/) may do in AWS: one customer
managed policy with exactly the calls the commands make, and (with
`-c operatorPrincipalArn=...`) a role that principal may assume, with the policy attached.

The action lists below were derived from the code (prakerja/ops/*.py, and the
prakerja_flow services and data modules it calls) and checked by tracing every AWS call
the ops tests make (docs/operations.md, "Operator permissions in AWS"). Keep them in
step when a command starts calling something new: the tests compare them with the
policy, not with the code.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from .environment import DeployEnv
from .nag import acknowledge

# DynamoDB calls of the ops commands, by where they come from:
#   GetItem        participant/NIK lookups, pause and budget items (repository, controls)
#   Query          one participant's items; audit log; --wave through the GSI2 index
#   Scan           `executions --state`, `stuck`: every TOKEN item (operations.scan_tokens)
#   BatchGetItem   profiles of the executions listed (operations.get_profiles)
#   PutItem        wave open/close, payouts pause/resume, audit log, cancel's inbox event
#   UpdateItem     retry (FAILED -> DUE), cancel (profile and entitlements)
#   DeleteItem     cancel: claiming the inbox event and the used task token (services.events)
# No TransactWriteItems and no ConditionCheckItem: no ops command moves money.
OPERATOR_TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:BatchGetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
)
# Step Functions calls on the lifecycle's executions (participant, history, redrive).
OPERATOR_EXECUTION_ACTIONS = ("states:DescribeExecution", "states:GetExecutionHistory", "states:RedriveExecution")
# ...and on the state machine itself (`executions`). `history --graph` draws from the
# ASL file, so DescribeStateMachine is not needed.
OPERATOR_STATE_MACHINE_ACTIONS = ("states:ListExecutions",)
# `payouts runs` and `participant` (the execution that paid): read the payout run's executions.
OPERATOR_PAYOUT_RUN_ACTIONS = ("states:DescribeExecution", "states:GetExecutionHistory")
# `cancel` fails the waiting task (ParticipationCancelled); services.events.deliver sends
# whatever event is in the inbox, which can be a success that arrived first.
OPERATOR_TASK_ACTIONS = ("states:SendTaskFailure", "states:SendTaskSuccess")
# `clock advance` reads which clock the functions run on from the API function's settings
# (the one function whose environment it reads; every function gets the same PROGRAMME_CLOCK).
OPERATOR_FUNCTION_ACTIONS = ("lambda:GetFunctionConfiguration",)
# The table's customer managed key, only through DynamoDB.
OPERATOR_KEY_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")

# ADR 0018: `participant <NIK>` and `audit --participant <NIK>` key the NIK as the guard does
# (one KMS request per lookup, in CloudTrail; the HMAC key never leaves KMS).
OPERATOR_NIK_LOOKUP_ACTIONS = ("kms:GenerateMac",)
# Only the reveal policy opens identifiers (`ops reveal`, the console's reveal page, `ops
# export`, `ops identifiers migrate`); each reveal is also written to the audit log first.
REVEAL_ACTIONS = ("kms:Decrypt",)
# Correcting a name (`ops correct-name`) and migrating clear items seal again.
REVEAL_SEAL_ACTIONS = ("kms:GenerateDataKey", "kms:Encrypt")

OPERATOR_SESSION = Duration.hours(1)


class OperatorAccess(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        deploy_env: DeployEnv,
        table_arn: str,
        index_names: tuple[str, ...],
        key: kms.IKey,
        identifiers_key: kms.IKey,
        nik_lookup_key: kms.IKey,
        state_machine_name: str,
        state_machine_arn: str,
        execution_arns: str,
        settings_function_arn: str,
        payout_run_arn: str,
        payout_run_executions: str,
        payout_run_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        region = Stack.of(self).region
        name = deploy_env.prefixed("prakerja-flow-operator")
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            managed_policy_name=name,
            description=f"prakerja ops against {deploy_env.name}: exactly the calls its commands make",
            statements=[
                iam.PolicyStatement(
                    sid="Table",
                    actions=list(OPERATOR_TABLE_ACTIONS),
                    resources=[table_arn, *(f"{table_arn}/index/{index}" for index in index_names)],
                ),
                iam.PolicyStatement(
                    sid="TableKey",
                    actions=list(OPERATOR_KEY_ACTIONS),
                    resources=[key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{region}.amazonaws.com"}},
                ),
                iam.PolicyStatement(
                    sid="NikLookup", actions=list(OPERATOR_NIK_LOOKUP_ACTIONS), resources=[nik_lookup_key.key_arn]
                ),
                iam.PolicyStatement(
                    sid="ListExecutions",
                    actions=list(OPERATOR_STATE_MACHINE_ACTIONS),
                    resources=[state_machine_arn, payout_run_arn],
                ),
                iam.PolicyStatement(
                    sid="PayoutRunExecutions",
                    actions=list(OPERATOR_PAYOUT_RUN_ACTIONS),
                    resources=[payout_run_executions],
                ),
                iam.PolicyStatement(
                    sid="Executions", actions=list(OPERATOR_EXECUTION_ACTIONS), resources=[execution_arns]
                ),
                iam.PolicyStatement(sid="FailWaitingTasks", actions=list(OPERATOR_TASK_ACTIONS), resources=["*"]),
                iam.PolicyStatement(
                    sid="FunctionSettings", actions=list(OPERATOR_FUNCTION_ACTIONS), resources=[settings_function_arn]
                ),
            ],
        )
        acknowledge(
            self.policy,
            "AwsSolutions-IAM5[Resource::*]",
            "Only states:SendTaskFailure/SendTaskSuccess (ops cancel fails the waiting task) have "
            "Resource '*': they take a task token, not an ARN, and support no resource-level permissions.",
        )
        acknowledge(
            self.policy,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{state_machine_name}:*]",
            "Executions are named per participant at run time; the wildcard is limited to the "
            "executions of this environment's lifecycle state machine.",
        )
        acknowledge(
            self.policy,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{payout_run_name}:*]",
            "Payout runs are named by Scheduler at run time; the wildcard is limited to the executions "
            "of this environment's payout-run state machine, read only.",
        )

        # Separate, so that an operator's default role reads everything an investigation needs
        # except clear identifiers: attached to the reveal role only (docs/operations.md).
        self.reveal_policy = iam.ManagedPolicy(
            self,
            "RevealPolicy",
            managed_policy_name=f"{name}-reveal",
            description=f"prakerja ops against {deploy_env.name}: open participants' identifiers (ADR 0018)",
            statements=[
                iam.PolicyStatement(
                    sid="OpenIdentifiers",
                    actions=[*REVEAL_ACTIONS, *REVEAL_SEAL_ACTIONS],
                    resources=[identifiers_key.key_arn],
                )
            ],
        )
        CfnOutput(scope, "OperatorRevealPolicyArn", value=self.reveal_policy.managed_policy_arn)

        self.role: iam.Role | None = None
        self.reveal_role: iam.Role | None = None
        if deploy_env.operator_principal_arn:
            self.reveal_role = iam.Role(
                self,
                "RevealRole",
                role_name=f"{name}-reveal",
                description=f"Assumed by operators to reveal or export a participant's identifiers ({deploy_env.name})",
                assumed_by=iam.ArnPrincipal(deploy_env.operator_principal_arn),
                managed_policies=[self.policy, self.reveal_policy],
                max_session_duration=OPERATOR_SESSION,
            )
            CfnOutput(scope, "OperatorRevealRoleArn", value=self.reveal_role.role_arn)
            self.role = iam.Role(
                self,
                "Role",
                role_name=name,
                description=f"Assumed by operators to run prakerja ops against {deploy_env.name}",
                assumed_by=iam.ArnPrincipal(deploy_env.operator_principal_arn),
                managed_policies=[self.policy],
                max_session_duration=OPERATOR_SESSION,
            )
            CfnOutput(scope, "OperatorRoleArn", value=self.role.role_arn)
        CfnOutput(scope, "OperatorPolicyArn", value=self.policy.managed_policy_arn)
