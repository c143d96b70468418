"""Business errors. The class name is the machine-readable code everywhere:
in HTTP error bodies, in Lambda `errorType`, and in the state machine's Catch rules."""

from __future__ import annotations

from .. import config


class DomainError(Exception):
    """A rule said no. Nothing may have been written when one of these is raised."""

    http_status = 409

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    @property
    def code(self) -> str:
        return type(self).__name__


class InvalidInput(DomainError):
    http_status = 422


class InvalidNik(InvalidInput):
    pass


class Underage(InvalidInput):
    pass


class NotFound(DomainError):
    http_status = 404


class ParticipantNotFound(NotFound):
    pass


class PurchaseNotFound(NotFound):
    pass


class WaveNotFound(NotFound):
    pass


class VoucherNotFound(NotFound):
    pass


class SurveyNotFound(NotFound):
    pass


class WaveClosed(DomainError):
    pass


class DuplicateNik(DomainError):
    pass


class BundleNotAllowed(InvalidInput):
    pass


class InsufficientBalance(DomainError):
    pass


class PreviousTrainingNotFinished(DomainError):
    pass


class DuplicatePurchase(DomainError):
    pass


class VoucherAlreadyUsed(DomainError):
    pass


class VoucherExpired(DomainError):
    pass


class VoucherTrainingMismatch(DomainError):
    pass


class PurchaseDeadlineExpired(DomainError):
    pass


class ParticipantNotActive(DomainError):
    pass


class ParticipationCancelled(DomainError):
    """Not raised: the error an operator's cancellation fails the waiting execution with."""


class CompletionMismatch(DomainError):
    pass


class AlreadyCompleted(DomainError):
    pass


class NotCompleted(DomainError):
    pass


class AlreadyRated(DomainError):
    pass


class RatingIncomplete(DomainError):
    pass


class RatingWindowClosed(DomainError):
    pass


class SurveyNotOpen(DomainError):
    pass


class SurveyAlreadySubmitted(DomainError):
    pass


class IncentiveCapExceeded(DomainError):
    pass


class IllegalTransition(DomainError):
    pass


class TryAgainLater(DomainError):
    """Not a rule saying no: AWS would not do part of the request now; the same request again completes it.

    (Step Functions throttled StartExecution, or the account is at its open-executions
    quota.) What was written stays and nothing is lost. HTTP 503 with Retry-After."""

    http_status = 503
    retry_after_seconds = int(config.LIFECYCLE_START_RETRY_AFTER.total_seconds())


class LifecycleNotStarted(TryAgainLater):
    """First certificate recorded but its lifecycle not started (throttled, or at quota): retry, same key."""


class TransientError(Exception):
    """Not a rule saying no: an AWS call failed in a way that is worth trying again (throttled,
    unavailable, a transaction conflict). The lifecycle tasks raise it in place of botocore's
    error so the ASL's Retry (backoff and jitter) matches it by this name; a raw ClientError
    would fail the execution."""
