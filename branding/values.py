"""The frozen branding value every template and email receives."""

from __future__ import annotations

from dataclasses import dataclass

LOGO_VARIANTS = ("icon-192", "icon-512", "maskable-512", "favicon-32", "apple-touch-180", "email")


@dataclass(frozen=True)
class Branding:
    practice_id: int
    base_url: str  # e.g. https://riverside.tandem.example
    display_name: str
    short_name: str
    primary_color: str
    on_primary: str
    accent_color: str
    on_accent: str
    contact_phone: str
    contact_email: str
    address: str
    website: str
    crisis_line: str
    email_sender_name: str
    welcome_text: str
    logo_version: int
    has_logo: bool

    @property
    def sender_name(self) -> str:
        return self.email_sender_name or self.display_name

    def asset_path(self, variant: str) -> str:
        """Logo images (or initials icons when there is no logo), cache-busted by version."""
        return f"/branding/{self.logo_version}/{variant}.png"

    def asset_url(self, variant: str) -> str:
        return f"{self.base_url}{self.asset_path(variant)}"

    @property
    def logo_path(self) -> str:
        return f"/branding/{self.logo_version}/logo"

    @property
    def crisis_line_tel(self) -> str:
        return "".join(ch for ch in self.crisis_line if ch.isdigit() or ch == "+")
