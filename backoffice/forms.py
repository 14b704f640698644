"""Flask-WTF forms: each carries the CSRF token. They only collect strings; the rules of each
value are the DSAR API's own schemas (``services.cases.act`` / ``services.cases.intake``)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, PasswordField, StringField, TextAreaField

CHANGE_ROWS = 5


class LoginForm(FlaskForm):
    email = StringField()
    password = PasswordField()


class CodeForm(FlaskForm):
    code = StringField()


class PlainForm(FlaskForm):
    """Only the CSRF token (sign-out)."""


class ClassifyForm(FlaskForm):
    type = StringField()


class VerifyForm(FlaskForm):
    method = StringField()
    note = TextAreaField()


class ExtendForm(FlaskForm):
    reason = TextAreaField()


class ChangeRow(Form):
    field = StringField()
    value = StringField()


class ExecuteForm(FlaskForm):
    changes = FieldList(FormField(ChangeRow), min_entries=CHANGE_ROWS, max_entries=50)
    confirm = BooleanField()

    def change_map(self) -> dict | None:
        """The non-empty field/value pairs, or None when there are none."""
        pairs = {}
        for row in self.changes.entries:
            name = (row.form.field.data or "").strip()
            if name:
                pairs[name] = row.form.value.data or ""
        return pairs or None


class RejectForm(FlaskForm):
    ground = StringField()
    reason = TextAreaField()
    confirm = BooleanField()


class CompleteForm(FlaskForm):
    summary = TextAreaField()


class WithdrawForm(FlaskForm):
    note = TextAreaField()


class IntakeForm(FlaskForm):
    channel = StringField()
    received_at = StringField()
    type = StringField()
    full_name = StringField()
    email = StringField()
    account_id = StringField()
    message = TextAreaField()
    locale = StringField()
    note = TextAreaField()


class ProofSearchForm(FlaskForm):
    kind = StringField()
    value = StringField()


ACTION_FORMS: dict[str, type[FlaskForm]] = {
    "classify": ClassifyForm, "verify": VerifyForm, "extend": ExtendForm, "execute": ExecuteForm,
    "reject": RejectForm, "complete": CompleteForm, "withdraw": WithdrawForm}
