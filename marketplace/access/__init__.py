"""Signed, single-purpose, expiring, revocable links: customer sign-in, e-mail verification,
staff invitations."""
