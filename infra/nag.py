"""cdk-nag acknowledgements, each next to the construct it is about.

cdk-nag 3 reads CDK's native `Validations.of(construct).acknowledge(...)`; a finding that
is not acknowledged fails synthesis. Every acknowledgement states why it is right.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    """`rule_id` is a full finding id, e.g. "AwsSolutions-IAM5[Resource::*]"."""
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))
