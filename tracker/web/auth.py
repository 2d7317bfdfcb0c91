"""Login and logout."""

from __future__ import annotations

import hmac
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired

from tracker.models import User
from tracker.services import users
from tracker.web.context import config, db_session

blueprint = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "info"


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """The active user of a session, if the session was opened with the current password."""
    key, _, session_key = user_id.partition(":")
    if not key.isdigit():
        return None
    user = db_session().get(User, int(key))
    if user is None or not user.active or not hmac.compare_digest(session_key, user.session_key):
        return None
    return user


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired(message="请输入用户名")])
    password = PasswordField("密码", validators=[DataRequired(message="请输入密码")])
    remember = BooleanField("在此设备上保持登录")


@blueprint.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    session = db_session()
    address = request.remote_addr or "unknown"  # the proxy's hops are undone by ProxyFix, if set
    username, password = form.username.data or "", form.password.data or ""
    if users.recent_failures(session, address, username) >= config().login_failure_limit:
        flash("尝试次数过多，请一分钟后再试。", "error")
        return render_template("auth/login.html", form=form), 429
    user = users.authenticate(session, username, password, address)
    session.commit()
    if user is None:
        flash("用户名或密码不正确。", "error")
        return render_template("auth/login.html", form=form), 401
    login_user(user, remember=form.remember.data)
    if user.must_change_password:
        return redirect(url_for("auth.change_password"))
    target = request.args.get("next", "")
    if not target or urlsplit(target).netloc or not target.startswith("/"):
        target = url_for("projects.home")  # each role's landing page
    return redirect(target)


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout():  # type: ignore[no-untyped-def]
    """End the session on the server too: every session and remember-me cookie of the user,
    on every device, is refused from now on (``User.session_generation``)."""
    session = db_session()
    users.logout(session, current_user._get_current_object())
    session.commit()
    logout_user()
    flash("已退出登录。", "info")
    return redirect(url_for("auth.login"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField("当前密码")
    new = PasswordField("新密码")
    confirm = PasswordField("再次输入新密码")


@blueprint.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():  # type: ignore[no-untyped-def]
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    if not form.validate_on_submit():
        return _change_password_page(form, user)
    session = db_session()
    forced = user.must_change_password
    errors = users.change_own_password(session, user, form.current.data or "", form.new.data or "",
                                       form.confirm.data or "")
    if errors:
        for name, message in errors.items():
            form[name].errors = [message]
        return _change_password_page(form, user), 400
    session.commit()
    if forced:  # the generated first password is no longer valid: its file goes, after the commit
        users.initial_admin_file(Path(config().instance_path)).unlink(missing_ok=True)
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    login_user(user, remember=remembered)  # the new password ended the old session: open a new one
    flash("密码已修改。", "info")
    return redirect(url_for("projects.home"))


def _change_password_page(form: ChangePasswordForm, user: User) -> str:
    return render_template("auth/change_password.html", form=form, forced=user.must_change_password,
                           min_length=users.MIN_PASSWORD_LENGTH)


#: What a user who must change the password may still open.
_ALLOWED_BEFORE_CHANGE = {"auth.change_password", "auth.logout", "auth.login", "static"}


@blueprint.before_app_request
def _require_password_change():  # type: ignore[no-untyped-def]
    """The first administrator with a generated password changes it before anything else."""
    endpoint = request.endpoint or ""
    if endpoint in _ALLOWED_BEFORE_CHANGE or endpoint.startswith("assets."):
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return None


@blueprint.app_context_processor
def _inject_user() -> dict[str, object]:
    return {"current_user": current_user}


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
