"""export_lottery_bundle prints the bundle; verify_lottery checks a file of it."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from lottery import algorithm


def export(code: str) -> str:
    out = StringIO()
    call_command("export_lottery_bundle", code, stdout=out)
    return out.getvalue()


def verify(path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("verify_lottery", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_export_then_verify_round_trip(signed_session, tmp_path):
    text = export("S1")
    bundle = json.loads(text)
    assert bundle == signed_session.bundle
    assert algorithm.sha256_hex(algorithm.canonical_json(bundle)) == signed_session.bundle_sha256
    assert text.startswith('{\n  "algorithm": "rs-lottery-v2"')  # sorted keys, indent 2
    path = tmp_path / "S1.json"
    path.write_text(text, encoding="utf-8")
    out, err = verify(path)
    assert out.startswith("OK") and "S1" in out and err == ""


def test_verify_reports_a_tampered_file_and_fails(signed_session, tmp_path):
    bundle = json.loads(export("S1"))
    bundle["allocation"][0]["apartments"] = bundle["allocation"][1]["apartments"]
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("verify_lottery", str(path), stderr=err)
    assert failed.value.returncode == 1
    assert bundle["allocation"][0]["household"] in err.getvalue()


def test_export_refuses_an_unsigned_or_unknown_session(drawing_session):
    with pytest.raises(CommandError, match="S1"):
        export("S1")
    with pytest.raises(CommandError, match="NOPE"):
        export("NOPE")


def test_verify_refuses_a_file_that_is_not_json(tmp_path, db):
    path = tmp_path / "bad.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError):
        verify(path)
    with pytest.raises(CommandError):
        verify(tmp_path / "missing.json")
