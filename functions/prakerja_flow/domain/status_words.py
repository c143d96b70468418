"""A payment's status and its failure reason in the programme's words: Bahasa Indonesia as
participants read them on the portal ("Dijadwalkan", "Dalam pengecekan", "Sedang diproses",
"Berhasil", "Gagal: ..."), with English beside it. One table, read by the participant view
(services/status.py) and the ops CLI; a reason always says what the participant can do."""

from __future__ import annotations

from dataclasses import dataclass

from . import incentives as inc


@dataclass(frozen=True)
class Words:
    id: str  # Bahasa Indonesia
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "en": self.en}


STATUS: dict[str, Words] = {
    inc.SCHEDULED: Words("Dijadwalkan", "Scheduled"),
    # Due: the payout run checks the account with the provider before it sends anything.
    inc.DUE: Words("Dalam pengecekan", "Being checked"),
    inc.SENT: Words("Sedang diproses", "Being processed"),
    inc.PAID: Words("Berhasil", "Paid"),
    inc.FAILED: Words("Gagal", "Failed"),
    inc.CANCELLED: Words("Dibatalkan", "Cancelled"),
    inc.EXPIRED: Words("Kedaluwarsa", "Expired"),
}

_CHANGE_ACCOUNT_ID = "atau ganti ke akun e-wallet lainnya atas nama Anda"
_CHANGE_ACCOUNT_EN = "or change to another e-wallet account in your own name"

# Every failure_code a FAILED payment can carry (domain/accounts.account_problem, the
# provider's rejection, the programme budget): tests/unit/test_status_words.py checks this.
REASONS: dict[str, Words] = {
    "NoPayoutAccount": Words(
        "Insentif Anda belum dapat dicairkan: belum ada rekening bank atau akun e-wallet. "
        "Daftarkan rekening atau akun e-wallet atas nama Anda.",
        "Your incentive cannot be paid yet: no bank or e-wallet account is registered. "
        "Register an account in your own name.",
    ),
    "UnsupportedChannel": Words(
        "Insentif Anda gagal dicairkan: jenis rekening ini tidak didukung. "
        f"Ganti ke rekening bank {_CHANGE_ACCOUNT_ID}.",
        f"Your incentive could not be paid: this kind of account is not supported. Change to a bank account "
        f"{_CHANGE_ACCOUNT_EN}.",
    ),
    "AccountNotFound": Words(
        f"Insentif Anda gagal dicairkan: nomor rekening tidak ditemukan. Cek kembali nomornya {_CHANGE_ACCOUNT_ID}.",
        f"Your incentive could not be paid: the account number was not found. Check the number {_CHANGE_ACCOUNT_EN}.",
    ),
    "AccountNotOwned": Words(
        "Insentif Anda gagal dicairkan: rekening ini bukan atas nama Anda. "
        "Daftarkan rekening atau akun e-wallet atas nama Anda sendiri.",
        "Your incentive could not be paid: the account is in someone else's name. "
        "Register an account in your own name.",
    ),
    "AccountInactive": Words(
        f"Insentif Anda gagal dicairkan: akun Anda tidak aktif. Aktifkan kembali akun Anda {_CHANGE_ACCOUNT_ID}.",
        f"Your incentive could not be paid: the account is inactive. Reactivate it {_CHANGE_ACCOUNT_EN}.",
    ),
    "AccountNotVerified": Words(
        "Insentif Anda gagal dicairkan: akun e-wallet Anda belum terverifikasi. "
        f"Lakukan verifikasi (KYC) di aplikasi e-wallet Anda {_CHANGE_ACCOUNT_ID}.",
        f"Your incentive could not be paid: the e-wallet account is not verified. Verify it (KYC) in the "
        f"e-wallet's app {_CHANGE_ACCOUNT_EN}.",
    ),
    "ProviderRejected": Words(
        f"Insentif Anda gagal dicairkan oleh mitra pembayaran. Cek rekening Anda {_CHANGE_ACCOUNT_ID}.",
        f"Your incentive was refused by the payment partner. Check your account {_CHANGE_ACCOUNT_EN}.",
    ),
    # The causes the real programme met (domain/provider_rejections.py, issue 17 item 6).
    "EwalletLimitReached": Words(
        "Pencairan insentif Anda tertunda: saldo atau batas penerimaan bulanan e-wallet Anda sudah penuh. "
        "Pencairan dicoba lagi otomatis awal bulan depan; agar lebih cepat, kurangi saldo e-wallet Anda, "
        "tingkatkan ke akun premium, atau ganti ke rekening bank atau akun e-wallet lain atas nama Anda.",
        "Your incentive is delayed: your e-wallet's balance or monthly incoming limit is full. It is tried again "
        "automatically at the start of next month; to be paid sooner, lower the balance, upgrade to a premium "
        "account, or change to a bank account or another e-wallet account in your own name.",
    ),
    "AccountFrozen": Words(
        "Insentif Anda gagal dicairkan: akun Anda dibekukan oleh bank atau e-wallet. Hubungi layanan pelanggan "
        f"mereka untuk membuka blokir akun {_CHANGE_ACCOUNT_ID}.",
        "Your incentive could not be paid: your account is frozen by the bank or e-wallet. Ask their customer "
        f"service to unfreeze it {_CHANGE_ACCOUNT_EN}.",
    ),
    "PhoneNumberChanged": Words(
        "Insentif Anda gagal dicairkan: nomor HP akun e-wallet Anda sudah berganti. Daftarkan kembali akun "
        "e-wallet Anda dengan nomor HP yang baru, atas nama Anda.",
        "Your incentive could not be paid: your e-wallet account's phone number has changed. Register the "
        "e-wallet account again with the new phone number, in your own name.",
    ),
    # Not the participant's doing: nothing to do, it is paid once the budget allows.
    "BudgetExhausted": Words(
        "Pencairan insentif Anda tertunda karena anggaran program. Anda tidak perlu melakukan apa pun; "
        "insentif dicairkan otomatis.",
        "Your incentive is delayed by the programme's budget. You need to do nothing; it is paid automatically.",
    ),
}

UNKNOWN_REASON = Words(
    "Insentif Anda gagal dicairkan. Hubungi layanan Prakerja.",
    "Your incentive could not be paid. Contact Prakerja's help desk.",
)


def status(value: str) -> Words:
    return STATUS[value]


def label(value: str) -> str:
    """The portal's one word for a status (the view's `label`)."""
    return STATUS[value].id


def reason(status_value: str, failure_code: str | None) -> dict[str, str] | None:
    """Why a FAILED payment failed and what to do: {code, id, en}; None for any other status
    (a payment that failed once and is being retried shows its current status only)."""
    if status_value != inc.FAILED:
        return None
    words = REASONS.get(failure_code or "", UNKNOWN_REASON)
    return {"code": failure_code or "Unknown", **words.as_dict()}
