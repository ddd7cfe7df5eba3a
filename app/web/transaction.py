"""One transaction per request, ended in one place.

Services change state and flush; they never commit. Views never call `db.session.commit()` or `rollback()`:

- Every view runs inside `run_view` (EurograntsFlask.dispatch_request, app/web/application.py). A view that raises
  (a DomainError, an abort, a bug) is rolled back. A view that returns from a POST, PUT, PATCH or DELETE is
  committed by `commit`; GET and HEAD are never committed. A DomainError raised *by the commit* (the deadline guard
  of app.services.deadline reads the clock again in a before_commit hook) is rolled back too and reaches the error
  handlers: a 4xx page or the API's JSON error (app/web/errors.py), never a 500 and never the view's success.

- An API operation reads: arguments (flask-smorest) -> one service call -> return the result. The API blueprint's
  `@bp.response` (app/api/__init__.py) runs the operation through `committing`, which commits as soon as it returns,
  before flask-smorest serialises the result: the body shows what was stored (times in UTC, amounts to the cent),
  and a refusal at commit time answers the JSON error instead. An operation that must answer from what it holds
  before the commit returns a Response it built itself (submission receipts: no reload after the commit).

- A page whose form must show a refusal with what the user typed wraps its service call in `command(form)`. The
  block is committed when it ends, so a refusal at commit time is caught there as well; on a DomainError the block's
  work is rolled back and the message goes next to the field it names (`details["field"]`, or each name of
  `details["fields"]`) or, when it names none on this form, into a flash. `outcome.ok` says whether it committed:

      form = ExtensionForm()
      if form.validate_on_submit():
          with command(form) as outcome:
              grant_extension(proposal, actor=current_actor(), deadline=..., reason=form.reason.data)
          if outcome.ok:
              flash("Extension granted.", "success")
              return redirect(url_for(...))
      return render_template("manage/intake_extension.html", form=form, ...), 422 if form.errors else 200

  Without a form (`with command() as outcome:`) a refusal is flashed: the usual POST -> flash -> redirect.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from flask import flash, request
from flask_wtf import FlaskForm

from app.extensions import db
from app.privacy.access_log import forget_noted_accesses, write_noted_accesses
from app.services.errors import DomainError
from app.web.errors import reader_message

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FieldLocator = Callable[[str], Any]


def commit(*, expire: bool = True) -> None:
    """Commit the request's transaction. A refusal from a commit hook rolls everything back and is raised.

    `expire=False` keeps the loaded objects as they are instead of reloading them on their next use: for the commit
    after the response is made, when nothing will read them again.
    """
    session = db.session()
    session.expire_on_commit = expire
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.expire_on_commit = True


def committing(view: F) -> F:
    """Commit the request's transaction as soon as `view` returns from a write, before its result is serialised."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = view(*args, **kwargs)
        if request.method not in SAFE_METHODS:
            commit()
        return result

    return cast(F, wrapper)


def run_view(view: Callable[[], T]) -> T:
    """Run a view in the request's transaction: rolled back when it raises, committed when a write returns.

    Officers' access to personal data that the view's loaders noted (app.privacy.access_log) is written with a
    write's transaction, and for a read in a transaction of its own: the read itself is still never committed.
    """
    try:
        result = view()
    except BaseException:
        db.session.rollback()
        forget_noted_accesses()
        raise
    if request.method not in SAFE_METHODS:
        write_noted_accesses(in_session=True)
        commit(expire=False)  # the response is made: nothing reads the objects again
    else:
        write_noted_accesses(in_session=False)
    return result


@dataclass
class Outcome:
    """What became of a `command` block: committed (`ok`), or refused with `error` (rolled back)."""

    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def status(self) -> int:
        """The HTTP status a page that shows the refusal answers with (200 when committed)."""
        return 200 if self.error is None else self.error.status


@contextmanager
def command(form: FlaskForm | None = None, *, locate: FieldLocator | None = None, fallback: Any = None,
            announce: bool | str = False, handled: tuple[type[DomainError], ...] = ()) -> Iterator[Outcome]:
    """Run the block's service calls and commit them; on a DomainError roll back and show the refusal.

    `locate(name)` finds the form field a name of the refusal means (default: the form's field of that name);
    `fallback` is the field that takes a refusal naming no field of the form. Whatever cannot be shown next to a
    field is flashed. With `announce` the message is flashed even when every name was placed (a string: what to
    flash instead when several fields were marked). Errors of the `handled` types are rolled back and returned in
    the outcome, for the view to present itself.
    """
    outcome = Outcome()
    try:
        yield outcome
        commit()
    except DomainError as error:
        db.session.rollback()
        outcome.error = error
        if not isinstance(error, handled):
            show_refusal(error, form, locate=locate, fallback=fallback, announce=announce)


def show_refusal(error: DomainError, form: FlaskForm | None = None, *, locate: FieldLocator | None = None,
                 fallback: Any = None, announce: bool | str = False) -> None:
    """Put a service's refusal next to the fields it names, or flash it (see `command`), in the reader's language."""
    message = reader_message(error)
    names: dict[str, str] = {}
    if error.details.get("field"):
        names[str(error.details["field"])] = message
    names.update({str(name): str(message) for name, message in (error.details.get("fields") or {}).items()})
    placed = 0
    if form is not None:
        find = locate or form._fields.get
        for name, field_message in names.items():
            field = find(name)
            if field is not None:
                field.errors = [*field.errors, field_message]
                placed += 1
    shown_in_full = bool(names) and placed == len(names)
    if not placed and form is not None and fallback is not None:
        fallback.errors = [*fallback.errors, message]
        shown_in_full = True
    if not shown_in_full or announce is True:
        flash(message, "error")  # what the form cannot show next to a field
    elif isinstance(announce, str):
        flash(announce if placed > 1 else message, "error")
