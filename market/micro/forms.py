"""Forms of the micro-project pages. Choices are set by the views (they depend on the round and the locale)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import BooleanField, DateTimeLocalField, EmailField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget, RadioInput

from market.micro.models import DEFAULT_RATING_DAYS, EXPERT_CRITERIA, RATING_CRITERIA
from market.micro.services.common import MAX_PHOTO_BYTES, MAX_PHOTOS
from market.ui.fields import OptionalIntSelectField, SelectField, SelectMultipleField, YuanField, choices_of
from market.ui.forms import upload_limits

_PHOTO_LIMITS = upload_limits(MAX_PHOTO_BYTES, MAX_PHOTOS)
_PHOTO_HINT = _l("Optional: up to %(n)d JPEG, PNG or WebP photos, %(mb)d MB each.", n=MAX_PHOTOS,
                 mb=MAX_PHOTO_BYTES // (1024 * 1024))


def _stars(label):
    return SelectField(label, coerce=int, choices=choices_of((n, str(n)) for n in range(1, 6)), validators=[InputRequired()],
                       widget=ListWidget(prefix_label=False), option_widget=RadioInput())


class RoundForm(FlaskForm):
    title = StringField(_l("Title (Chinese)"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=200)])
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(2000, 2100)])
    street_id = SelectField(_l("Street"), coerce=int)
    community_id = OptionalIntSelectField(_l("Community"), description=_l("Leave empty for a street-wide round."))
    budget = YuanField(_l("Budget (yuan)"), validators=[InputRequired()])
    cap_service = YuanField(_l("Cap per service or goods project (yuan)"), validators=[InputRequired()])
    cap_works = YuanField(_l("Cap per works project (yuan)"), validators=[InputRequired()])
    submit = SubmitField(_l("Open the collection of proposals"))


class ProposalForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)],
                        description=_l("Say what should be done, and where, in a few words."))
    title_en = StringField(_l("Title in English (optional)"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[DataRequired(), Length(max=10000)],
                                description=_l("Who needs it, why, and what exactly should be done."))
    description_en = TextAreaField(_l("Description in English (optional)"), validators=[Optional(), Length(max=10000)])
    category_id = OptionalIntSelectField(_l("Category"), description=_l(
        "Leave it on “Suggest one for me” and the category is chosen from your text; you can change it."))
    project_type = SelectField(_l("Type"))
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=200)],
                        description=_l("Building, square, street corner…"))
    estimated_cost = YuanField(_l("Estimated cost (yuan)"), validators=[InputRequired()])
    photos = MultipleFileField(_l("Photos"), description=_PHOTO_HINT, render_kw=_PHOTO_LIMITS)
    save_draft = SubmitField(_l("Save as draft"))
    submit = SubmitField(_l("Submit for review"))
    suggest = SubmitField(_l("Suggest a category"))


class ButtonForm(FlaskForm):
    """Nothing but the CSRF token: buttons that change state, and forms whose fields the view reads."""


class RerouteForm(FlaskForm):
    office_id = OptionalIntSelectField(_l("Send to"), validators=[InputRequired()])
    submit = SubmitField(_l("Reroute"))


class ReviewForm(FlaskForm):
    outcome = SelectField(_l("Decision"), widget=ListWidget(prefix_label=False), option_widget=RadioInput())
    official_cost = YuanField(_l("Official cost estimate (yuan)"), validators=[Optional()],
                              description=_l("Required when feasible; it is the cost used on the ballot."))
    reason = TextAreaField(_l("Reason (public)"), validators=[Optional(), Length(max=4000)],
                           description=_l("Required when changes are needed or the proposal is rejected."))
    submit = SubmitField(_l("Record the review"))


class MergeForm(FlaskForm):
    target_id = SelectField(_l("Merge into"), coerce=int)
    submit = SubmitField(_l("Merge this duplicate"))


class PanelInviteForm(FlaskForm):
    email = EmailField(_l("Reviewer's e-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Invite to the panel"))


class ScoreForm(FlaskForm):
    need = _stars(_l("Need"))
    feasibility = _stars(_l("Feasibility"))
    value_for_money = _stars(_l("Value for money"))
    reach = _stars(_l("Benefit reach"))
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Save my scores"))

    def scores(self) -> dict[str, int]:
        return {c: getattr(self, c).data for c in EXPERT_CRITERIA}


class VotingForm(FlaskForm):
    budget = YuanField(_l("Budget (yuan)"), validators=[InputRequired()])
    opens_at = DateTimeLocalField(_l("Voting opens (Beijing time)"), validators=[InputRequired()],
                                  format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    closes_at = DateTimeLocalField(_l("Voting closes (Beijing time)"), validators=[InputRequired()],
                                   format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    ballot_type = SelectField(_l("Ballot"), widget=ListWidget(prefix_label=False), option_widget=RadioInput())
    max_picks = IntegerField(_l("At most this many picks (approval ballots, optional)"),
                             validators=[Optional(), NumberRange(1, 100)])
    rule = SelectField(_l("Selection rule"), widget=ListWidget(prefix_label=False), option_widget=RadioInput())
    notice_working_days = IntegerField(_l("Public notice (working days)"), default=5,
                                       validators=[InputRequired(), NumberRange(0, 30)])
    submit = SubmitField(_l("Open the vote"))


class BallotForm(FlaskForm):
    proposal_ids = SelectMultipleField(_l("Your picks"), coerce=int, widget=ListWidget(prefix_label=False),
                                       option_widget=CheckboxInput())
    submit = SubmitField(_l("Cast my ballot"))


class TextForm(FlaskForm):
    """One text box: comments, objections."""

    body = TextAreaField(_l("Your text"), validators=[DataRequired(), Length(max=4000)])
    submit = SubmitField(_l("Send"))


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Answer (public)"), validators=[DataRequired(), Length(max=4000)])
    submit = SubmitField(_l("Answer"))


class UpdateForm(FlaskForm):
    body = TextAreaField(_l("What was done"), validators=[DataRequired(), Length(max=4000)])
    percent_complete = IntegerField(_l("Overall progress (%)"), validators=[InputRequired(), NumberRange(0, 100)])
    milestone_id = OptionalIntSelectField(_l("Milestone"))
    milestone_done = BooleanField(_l("This milestone is done (ask the official to approve it)"))
    photos = MultipleFileField(_l("Photos"), description=_PHOTO_HINT, render_kw=_PHOTO_LIMITS)
    submit = SubmitField(_l("Post the update"))


class FlagForm(FlaskForm):
    kind = SelectField(_l("Problem"))
    body = TextAreaField(_l("What is wrong"), validators=[DataRequired(), Length(max=4000)])
    submit = SubmitField(_l("Report the problem"))


class AcceptanceForm(FlaskForm):
    report = TextAreaField(_l("Acceptance report (public)"), validators=[DataRequired(), Length(max=10000)],
                           description=_l("What was checked on site, by whom, and the result."))
    rating_days = IntegerField(_l("Residents may rate it for (days)"), default=DEFAULT_RATING_DAYS,
                               validators=[InputRequired(), NumberRange(1, 365)])
    submit = SubmitField(_l("Record the acceptance"))


class RatingForm(FlaskForm):
    quality = _stars(_l("Quality"))
    timeliness = _stars(_l("On time"))
    communication = _stars(_l("Communication"))
    value_for_money = _stars(_l("Value for money"))
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Send my rating"))

    def stars(self) -> dict[str, int]:
        return {c: getattr(self, c).data for c in RATING_CRITERIA}


class ReplayForm(FlaskForm):
    file = FileField(_l("Pabulib file (.pb)"), validators=[FileRequired()])
    rule = SelectField(_l("Rule"))
    submit = SubmitField(_l("Run"))
