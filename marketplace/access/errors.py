"""Why a link is refused. A token that is not ours (forged, mangled, for another purpose) is
401; a genuine link that can no longer be used is 410, with the reason in the type."""

from __future__ import annotations

from marketplace.errors import DomainError, Unauthenticated


class AccessLinkInvalid(Unauthenticated):
    slug = "access-link-invalid"
    title = "This link is not valid"


class AccessLinkGone(DomainError):
    status = 410
    slug = "access-link-gone"
    title = "This link can no longer be used"


class AccessLinkExpired(AccessLinkGone):
    slug = "access-link-expired"
    title = "This link has expired"


class AccessLinkRevoked(AccessLinkGone):
    slug = "access-link-revoked"
    title = "This link was withdrawn"


class AccessLinkUsed(AccessLinkGone):
    slug = "access-link-used"
    title = "This link has already been used"
