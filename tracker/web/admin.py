"""The administrator's pages: users (role, unit scope, active, password reset, e-mail address)
and the 年终自评 settings (weights, grade thresholds, qualitative bands).  Finance may open the
user list and set a user's e-mail address, nothing else there.  Every change is audited."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user
from sqlalchemy import select

from tracker.core.labels import EVALUATION_LABELS
from tracker.errors import ValidationFailed
from tracker.models import AlertSubscription, Role, Unit, User
from tracker.reports import page_tables
from tracker.services import notifications, settings, users
from tracker.web.access import roles_required
from tracker.web.context import config, db_session
from tracker.web.downloads import wants_xlsx, xlsx

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


def _unit_ids() -> list[int]:
    return [int(v) for v in request.form.getlist("unit_id") if v.isdigit()]


def _form_page(template: str, status: int = 200, **context: object):  # type: ignore[no-untyped-def]
    units = db_session().scalars(select(Unit).order_by(Unit.code, Unit.name)).all()
    return render_template(template, units=units, roles=list(Role), **context), status


@blueprint.route("/users")
@roles_required(Role.admin, Role.finance)
def users_index():  # type: ignore[no-untyped-def]
    session = db_session()
    if wants_xlsx():
        return xlsx(page_tables.users(users.list_users(session), users.last_logins(session), config().tz))
    return render_template("admin/users.html", users=users.list_users(session),
                           last_logins=users.last_logins(session),
                           addresses=notifications.addresses(session))


@blueprint.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.admin)
def new_user():  # type: ignore[no-untyped-def]
    if request.method == "GET":
        return _form_page("admin/user_new.html", form={}, chosen=[])
    session = db_session()
    try:
        user = users.add_user(session, request.form.get("username", ""), request.form.get("role", ""),
                              request.form.get("password", ""), _unit_ids(), current_user)
        session.commit()
    except ValidationFailed as failure:
        session.rollback()
        return _form_page("admin/user_new.html", 400, form=request.form, chosen=_unit_ids(),
                          error=str(failure))
    flash(f"已创建用户“{user.username}”（{user.role.label}）。", "info")
    return redirect(url_for("admin.users_index"))


def _user(user_id: int) -> User:
    user = db_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _edit_page(user: User, status: int = 200, **context: object):  # type: ignore[no-untyped-def]
    context.setdefault("form", {})
    context.setdefault("chosen", [u.id for u in user.units])
    return _form_page("admin/user_edit.html", status, user=user,
                      subscription=db_session().get(AlertSubscription, user.id),
                      may_edit_account=current_user.role is Role.admin, **context)


@blueprint.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.admin, Role.finance)
def edit_user(user_id: int):  # type: ignore[no-untyped-def]
    user, session = _user(user_id), db_session()
    if request.method == "GET":
        return _edit_page(user)
    if current_user.role is not Role.admin:  # finance: the e-mail address only
        abort(403)
    try:
        changes = users.update_user(session, user, request.form.get("role", ""), _unit_ids(),
                                    request.form.get("active") == "1", current_user)
        session.commit()
    except ValidationFailed as failure:
        session.rollback()
        return _edit_page(_user(user_id), 400, form=request.form, chosen=_unit_ids(), error=str(failure))
    flash(f"已保存用户“{user.username}”。" if changes else "没有改动。", "info")
    return redirect(url_for("admin.users_index"))


@blueprint.route("/users/<int:user_id>/email", methods=["POST"])
@roles_required(Role.admin, Role.finance)
def user_email(user_id: int):  # type: ignore[no-untyped-def]
    user, session = _user(user_id), db_session()
    try:
        saved = notifications.subscribe(session, user, request.form.get("email", ""), current_user)
        session.commit()
    except ValidationFailed as failure:
        session.rollback()
        return _edit_page(_user(user_id), 400, email_form=request.form, email_error=str(failure))
    flash(f"用户“{user.username}”的提醒邮件将发送到 {saved.email}。" if saved
          else f"已删除用户“{user.username}”的邮箱，不再向其发送提醒邮件。", "info")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@blueprint.route("/users/<int:user_id>/password", methods=["POST"])
@roles_required(Role.admin)
def reset_password(user_id: int):  # type: ignore[no-untyped-def]
    user, session = _user(user_id), db_session()
    try:
        users.reset_password(session, user, request.form.get("password", ""), current_user)
        session.commit()
        if user.id == current_user.id:  # a new password ends the other sessions, not this one
            login_user(user)
    except ValidationFailed as failure:
        session.rollback()
        return _edit_page(_user(user_id), 400, password_error=str(failure))
    flash(f"已重设用户“{user.username}”的密码，请通过安全渠道告知本人。", "info")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@blueprint.route("/evaluation-settings", methods=["GET", "POST"])
@roles_required(Role.admin)
def evaluation_settings():  # type: ignore[no-untyped-def]
    session, error = db_session(), None
    if request.method == "POST":
        try:
            settings.update_evaluation_settings(session, request.form, current_user)
            session.commit()
            flash("自评设置已保存；自评草稿下次保存时按新设置计分，已提交（冻结）的自评不变。", "info")
            return redirect(url_for("admin.evaluation_settings"))
        except ValidationFailed as failure:
            session.rollback()
            error = str(failure)
    values = request.form if error else settings.evaluation_settings(session).to_dict()
    return render_template("admin/evaluation_settings.html", values=values, error=error,
                           labels=EVALUATION_LABELS), (400 if error else 200)
