"""Reading a raw e-mail (RFC 5322) into a request: sender, subject, text, type, locale."""
from __future__ import annotations

import dataclasses
import email
import email.errors
import email.policy
import html
import re
import unicodedata
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any

from marshmallow import ValidationError, validate

from consent_service.errors import Invalid

MAX_TEXT = 20_000

# Words that name a right, French and English; matched without accents or case.
TYPE_WORDS = {
    "access": r"acces|access|copie de (?:mes|toutes mes) donnees|copy of (?:my|all my) (?:personal )?data",
    "rectification": r"rectifi\w*|corriger|correction|correct my",
    "erasure": r"effacement|effacer|suppression|supprimer|erasure|erase|delete|deletion|droit a l'oubli"
               r"|right to be forgotten",
    "restriction": r"limitation|restriction|restreindre|restrict",
    "objection": r"opposition|m'oppose|objection|object to",
    "portability": r"portabilite|portability",
}
_TYPE_PATTERNS = {kind: re.compile(rf"\b(?:{words})\b") for kind, words in TYPE_WORDS.items()}
_ENGLISH = re.compile(r"\b(?:the|my|please|request|data|i|would|like|dear|regards|hello)\b")
_FRENCH = re.compile(r"\b(?:le|la|les|mes|je|vous|donnees|demande|bonjour|madame|monsieur|cordialement|merci)\b")
_BROKEN = (email.errors.StartBoundaryNotFoundDefect, email.errors.NoBoundaryInMultipartDefect,
           email.errors.MultipartInvariantViolationDefect, email.errors.MissingHeaderBodySeparatorDefect)
_validate_email = validate.Email()


class MalformedMessage(Invalid):
    """The body is not a usable RFC 5322 message; ``str(err)`` says why (no content)."""


@dataclasses.dataclass
class Inbound:
    sender: str
    display_name: str | None
    subject: str
    text: str
    attachments: int
    type: str | None
    locale: str
    automatic: bool


def _plain(value: str) -> str:
    value = value.replace("\u2019", "'")
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()


def recognise_type(subject: str, text: str) -> str | None:
    """The one right the subject line names, else the one the text names; None when none
    or several are named (the DPO classifies)."""
    for part in (subject, text):
        found = {kind for kind, pattern in _TYPE_PATTERNS.items() if pattern.search(_plain(part))}
        if len(found) == 1:
            return found.pop()
        if len(found) > 1:
            return None
    return None


def guess_locale(text: str) -> str:
    plain = _plain(text)
    return "en" if len(_ENGLISH.findall(plain)) > len(_FRENCH.findall(plain)) else "fr"


class _TextOfHtml(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li", "tr"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _TextOfHtml()
    parser.feed(markup)
    parser.close()
    return html.unescape("".join(parser.parts))


def _content(part) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError, ValueError):
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")


def _clean(text: str) -> str:
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text.replace("\r\n", "\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()[:MAX_TEXT]


def parse(raw: bytes) -> Inbound:
    """Read ``raw`` with the standard library; raises :class:`MalformedMessage`."""
    if not raw.strip():
        raise MalformedMessage("The message is empty.")
    try:
        message: EmailMessage = email.message_from_bytes(raw, policy=email.policy.default)
        if any(isinstance(defect, _BROKEN) for part in message.walk() for defect in part.defects):
            raise MalformedMessage("The MIME structure is broken.")
        from_header = message["From"]
        addresses: tuple[Any, ...] = getattr(from_header, "addresses", ()) if from_header is not None else ()
        if len(addresses) != 1 or not addresses[0].addr_spec or "@" not in addresses[0].addr_spec:
            raise MalformedMessage("The message has no single sender address.")
        sender = addresses[0].addr_spec.strip()
        try:
            _validate_email(sender)
        except ValidationError:
            raise MalformedMessage("The sender address is not valid.") from None
        display_name = (addresses[0].display_name or "").strip() or None
        subject = str(message["Subject"] or "").strip()
        body = message.get_body(preferencelist=("plain", "html"))
        text = ""
        if body is not None:
            text = _content(body)
            if body.get_content_subtype() == "html":
                text = html_to_text(text)
        attachments = sum(1 for part in message.walk()
                          if not part.is_multipart() and part is not body
                          and (part.is_attachment() or part.get_content_maintype() not in ("text",)))
        auto = str(message.get("Auto-Submitted", "no")).strip().lower()
        automatic = auto not in ("", "no") or sender.lower().startswith(("mailer-daemon@", "postmaster@"))
    except MalformedMessage:
        raise
    except Exception as err:  # the parser's odd corners (bad headers, encodings) are malformed input
        raise MalformedMessage("The message cannot be read.") from err
    subject = _clean(subject)[:300]
    text = _clean(text)
    if display_name:
        display_name = _clean(display_name)[:200] or None
    return Inbound(sender=sender, display_name=display_name, subject=subject, text=text, attachments=attachments,
                   type=recognise_type(subject, text), locale=guess_locale(f"{subject}\n{text}"),
                   automatic=automatic)
