"""Login and logout."""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
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
    address = request.remote_addr or "unknown"
    if users.recent_failures(session, address) >= config().login_failure_limit:
        flash("尝试次数过多，请一分钟后再试。", "error")
        return render_template("auth/login.html", form=form), 429
    user = users.authenticate(session, form.username.data or "", form.password.data or "", address)
    session.commit()
    if user is None:
        flash("用户名或密码不正确。", "error")
        return render_template("auth/login.html", form=form), 401
    login_user(user, remember=form.remember.data)
    target = request.args.get("next", "")
    if not target or urlsplit(target).netloc or not target.startswith("/"):
        target = url_for("projects.home")  # each role's landing page
    return redirect(target)


@blueprint.route("/logout", methods=["POST"])
@login_required
def logout():  # type: ignore[no-untyped-def]
    logout_user()
    flash("已退出登录。", "info")
    return redirect(url_for("auth.login"))


@blueprint.app_context_processor
def _inject_user() -> dict[str, object]:
    return {"current_user": current_user}


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
