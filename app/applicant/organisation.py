"""My organisation: its members, requests to join it and invitations; for a newcomer, how to join one.

Every state change goes through app/services/membership.py (consent of a member, audit); objects of another
organisation answer 404.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.applicant import bp
from app.enums import OrganisationType
from app.extensions import limiter
from app.models import Invitation, Organisation
from app.queries.access import is_member_of, load_invitation, load_join_request, load_member
from app.queries.membership import (
    invitation_for_token,
    is_addressee,
    latest_join_request,
    members_of,
    open_invitations,
    waiting_join_requests,
)
from app.services import membership
from app.translation import gettext
from app.web.access import current_actor
from app.web.transaction import command
from forms.organisation import InvitationForm, JoinRequestForm, OrganisationCreateForm
from forms.selection import ConfirmForm


def _page(status: int = 200, **forms: FlaskForm) -> tuple[str, int]:
    user = current_actor()
    organisation = user.organisation  # the blueprint's guard makes every user here an applicant: a member
    context: dict[str, object] = {"organisation": organisation, "action_form": ConfirmForm()}
    if organisation is not None:
        context.update(
            members=members_of(organisation),
            join_requests=waiting_join_requests(organisation),
            invitations=open_invitations(organisation),
            invitation_form=forms.get("invitation_form") or InvitationForm(),
        )
    else:
        context.update(
            latest_request=latest_join_request(user),
            join_form=forms.get("join_form") or JoinRequestForm(),
            create_form=forms.get("create_form") or OrganisationCreateForm(),
        )
    return render_template("applicant/organisation.html", **context), status


@bp.get("/organisation")
def organisation() -> tuple[str, int]:
    return _page()


def _act(action: Callable[[], object], success: str) -> Response:
    """Run one membership change from a button (CSRF only) and come back to the page."""
    if not ConfirmForm().validate_on_submit():
        flash(gettext("The form expired; please try again."), "error")
        return redirect(url_for("applicant.organisation"))
    with command() as outcome:
        action()
    if outcome.ok:
        flash(success, "success")
    return redirect(url_for("applicant.organisation"))


@bp.post("/organisation/new")
def register_organisation() -> Response | tuple[str, int]:
    form = OrganisationCreateForm()
    if not form.validate_on_submit():
        return _page(422, create_form=form)
    with command(form) as outcome:
        created = membership.start_organisation(
            current_actor(), name=form.organisation_name.data or "", country=form.country.data or "",
            type_=OrganisationType(form.organisation_type.data))
    if not outcome.ok:
        return _page(outcome.status, create_form=form)
    flash(gettext("%(organisation)s is registered, with you as its first member. Invite your colleagues below.",
                  organisation=created.name), "success")
    return redirect(url_for("applicant.organisation"))


@bp.post("/organisation/join-requests")
def request_to_join() -> Response | tuple[str, int]:
    form = JoinRequestForm()
    if not form.validate_on_submit():
        return _page(422, join_form=form)
    with command(form) as outcome:
        join_request = membership.request_to_join_by_name(
            current_actor(), name=form.organisation_name.data or "", country=form.country.data or "",
            message=form.message.data or "")
    if not outcome.ok:
        return _page(outcome.status, join_form=form)
    flash(gettext("Your request to join %(organisation)s is sent. You will see its proposals once one of its "
                  "members approves.", organisation=join_request.organisation.name), "success")
    return redirect(url_for("applicant.organisation"))


@bp.post("/organisation/join-request/cancel")
def cancel_join_request() -> Response:
    return _act(lambda: membership.cancel_join_request(current_actor()), gettext("Your request is cancelled."))


@bp.post("/organisation/join-requests/<int:request_id>/<any(approve, refuse):decision>")
def decide_join_request(request_id: int, decision: str) -> Response:
    join_request = load_join_request(request_id, current_actor())
    newcomer = join_request.user
    approve = decision == "approve"
    return _act(
        lambda: membership.decide_join_request(join_request, actor=current_actor(), approve=approve),
        gettext("%(name)s is now a member.", name=newcomer.full_name) if approve
        else gettext("The request of %(name)s is refused.", name=newcomer.full_name),
    )


@bp.post("/organisation/invitations")
@limiter.limit("30 per hour")
def invite_member() -> Response | tuple[str, int]:
    user = current_actor()
    organisation: Organisation | None = user.organisation
    if organisation is None or not is_member_of(user, organisation):
        flash(gettext("Join or register your organisation before inviting colleagues."), "error")
        return redirect(url_for("applicant.organisation"))
    form = InvitationForm()
    if not form.validate_on_submit():
        return _page(422, invitation_form=form)
    with command(form) as outcome:
        invitation, token = membership.invite_member(organisation, actor=user, email=form.email.data or "")
    if not outcome.ok:
        return _page(outcome.status, invitation_form=form)
    link = url_for("auth.invitation", token=token, _external=True)
    # The token is stored only as a hash: this is the one time the link can be shown.
    flash(gettext("Invitation for %(email)s created. Send them this link (shown only now; it works once, for that "
                  "address, for 14 days): %(link)s", email=invitation.email, link=link), "success")
    return redirect(url_for("applicant.organisation"))


@bp.post("/organisation/invitations/<int:invitation_id>/revoke")
def revoke_invitation(invitation_id: int) -> Response:
    invitation = load_invitation(invitation_id, current_actor())
    return _act(lambda: membership.revoke_invitation(invitation, actor=current_actor()),
                gettext("The invitation for %(email)s is revoked: its link no longer works.", email=invitation.email))


@bp.post("/organisation/members/<int:user_id>/remove")
def remove_member(user_id: int) -> Response:
    member = load_member(user_id, current_actor())
    return _act(lambda: membership.remove_member(member, actor=current_actor()),
                gettext("%(name)s is no longer a member and no longer sees the organisation's proposals.",
                        name=member.full_name))


@bp.post("/organisation/leave")
def leave_organisation() -> Response:
    return _act(lambda: membership.leave_organisation(current_actor()),
                gettext("You have left the organisation: its proposals and letters are no longer visible to you."))


# --- answering an invitation (the link of auth.invitation, once signed in) -----------------------------------

def _invitation_for_link(token: str) -> Invitation:
    invitation = invitation_for_token(token)
    if invitation is None:
        abort(404)
    return invitation


@bp.get("/invitations/<token>")
def invitation(token: str) -> tuple[str, int]:
    found = _invitation_for_link(token)
    user = current_actor()
    status = 200 if is_addressee(user, found) else 403
    return render_template("applicant/invitation.html", invitation=found, token=token, form=ConfirmForm(),
                           is_addressee=status == 200), status


@bp.post("/invitations/<token>/<any(accept, decline):answer>")
def answer_invitation(token: str, answer: str) -> Response:
    found = _invitation_for_link(token)
    user = current_actor()
    if not is_addressee(user, found):
        abort(403)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(gettext("The form expired; please answer again."), "error")
        return redirect(url_for("applicant.invitation", token=token))
    with command() as outcome:
        if answer == "accept":
            membership.accept_invitation(found, actor=user)
        else:
            membership.decline_invitation(found, actor=user)
    if not outcome.ok:
        return redirect(url_for("applicant.invitation", token=token))
    if answer == "accept":
        flash(gettext("Welcome to %(organisation)s: you now see and edit its proposals.",
                      organisation=found.organisation.name), "success")
        return redirect(url_for("applicant.dashboard"))
    flash(gettext("You declined the invitation of %(organisation)s.", organisation=found.organisation.name), "success")
    return redirect(url_for("applicant.organisation"))
