"""Email verification codes: Django's password reset token machinery with its own salt.

A code proves that its holder read the mailbox of the address the account had when it was
made: it covers the address and the verification state, so it stops working once the address
is verified or changed, and it expires after Django's ``PASSWORD_RESET_TIMEOUT``.
"""

from __future__ import annotations

from django.contrib.auth.tokens import PasswordResetTokenGenerator


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "psico_accounts.verification.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.email}{user.email_verified}{timestamp}"


email_verification_token_generator = EmailVerificationTokenGenerator()
