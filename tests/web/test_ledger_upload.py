"""The import page's two steps when its script runs (issue #22): the file alone to
/ledger/upload (so the page can show the bytes sent), answered by a token; then the preview
form with that token instead of the file."""

from __future__ import annotations

import io

from tests.conftest import csrf_token
from tests.services.test_ledger_queue import ledger_csv
from tracker.config import PROJECT_ROOT
from tracker.models import Role


def test_the_file_then_the_preview_by_its_token(client, logged_in, runner) -> None:  # type: ignore[no-untyped-def]
    runner("import", "targets", str(PROJECT_ROOT / "seeds" / "004_543d86f9f0ad9464.txt"))
    logged_in(Role.finance)
    token = csrf_token(client, "/ledger/import")
    sent = client.post("/ledger/upload", data={"csrf_token": token, "file": (
        io.BytesIO(ledger_csv([("2025-03-01", "专项业务经费", "会议费", "1,000.00")])), "三月.csv")},
        content_type="multipart/form-data")
    assert sent.status_code == 200
    assert sent.get_json()["lines"] == 2  # the header and one row
    upload = sent.get_json()["token"]
    preview = client.post("/ledger/preview", data={"csrf_token": token, "token": upload,
                                                   "period": "2025-03-01..2025-03-31"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "三月.csv" in html and "1,000.00" in html


def test_no_file_is_answered_in_words(client, logged_in) -> None:  # type: ignore[no-untyped-def]
    logged_in(Role.finance)
    answer = client.post("/ledger/upload", data={"csrf_token": csrf_token(client, "/ledger/import")})
    assert answer.status_code == 400 and answer.get_json() == {"error": "请选择要导入的文件。"}


def test_only_finance_uploads(client, logged_in) -> None:  # type: ignore[no-untyped-def]
    logged_in(Role.leader)
    answer = client.post("/ledger/upload", data={"csrf_token": csrf_token(client, "/cockpit"),
                                                 "file": (io.BytesIO(b"x"), "a.csv")},
                         content_type="multipart/form-data")
    assert answer.status_code == 403
