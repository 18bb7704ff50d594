"""The `mitra` command: help, one-line errors, createuser.

Most run in this process through `mitra.cli:main` (tests/clitools.py: call_mitra). What only a
new process sees runs the installed console script (run_mitra): `mitra --help`, and the errors in
settings and DATABASE_URL read at start-up, whose exit statuses are the script's contract.
"""

from __future__ import annotations

import re
import socket

import pytest
from django.core import mail

from mitra.accounts.models import CareTeam, Membership, User
from tests.clitools import call_mitra, mitra_env, run_mitra

STRONG = "a long enough passphrase 42"


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{text}"
    assert "Traceback" not in text
    return lines[0]


def listed_commands(result) -> list[str]:
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: mitra COMMAND")
    return re.findall(r"^  (\S+)\s", result.stdout, flags=re.M)


@pytest.mark.slow
def test_the_installed_script_lists_the_commands(tmp_path):
    commands = listed_commands(run_mitra("--help", env=mitra_env(tmp_path)))
    for name in ("serve", "migrate", "demo", "createuser", "totp", "check"):
        assert name in commands


def test_every_command_has_help():
    commands = listed_commands(call_mitra("--help"))
    assert len(commands) >= 8
    for name in commands:
        result = call_mitra(name, "--help")
        assert result.returncode == 0, f"mitra {name} --help: {result.stderr}"
        assert result.stdout.startswith(f"usage: mitra {name} "), name
        assert not result.stderr.strip(), f"mitra {name} --help wrote to stderr: {result.stderr}"


@pytest.mark.parametrize("args, names", [
    (["nosuchcommand"], "nosuchcommand"),
    (["demo", "--patients", "abc"], "--patients"),
    (["demo", "--days", "3"], "--days"),
    (["demo", "--patients", "2"], "--patients"),
    (["serve", "--port", "70000"], "--port"),
    (["serve", "--threads", "0"], "--threads"),
    (["serve", "--bogus"], "--bogus"),
    (["createuser", "someone"], "--role"),
    (["createuser", "someone", "--role", "wizard", "--password", STRONG], "wizard"),
    (["legal", "XX-NOWHERE", "--json"], "XX-NOWHERE"),
])
def test_a_bad_argument_exits_2_with_one_line(args, names):
    result = call_mitra(*args)
    assert result.returncode == 2, result
    assert names in one_line(result.stderr)


def test_mitra_legal_says_plainly_what_is_unknown_and_never_prints_none():
    result = call_mitra("legal", "US-WY")
    assert result.returncode == 0, result.stderr
    assert "No entry for Wyoming: Mitra has no information; check local law." in result.stdout
    assert "sources last searched 2026-12-03" in result.stdout
    assert "None" not in result.stdout and "not legal advice" in result.stdout
    th = call_mitra("legal", "TH")
    assert th.returncode == 0 and "newest source 2025-10-12" in th.stdout
    assert "Regulated: sold under rules set by law" in th.stdout


@pytest.mark.slow
def test_a_bad_setting_exits_with_one_line(tmp_path):
    result = run_mitra("check", env=mitra_env(tmp_path, DEBUG="yes"))
    assert result.returncode == 2
    assert one_line(result.stderr) == (
        "mitra: configuration error: DEBUG must be 'true' or 'false', not 'yes'"
    )


def _postgres_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=2).close()
    except OSError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.skipif(not _postgres_reachable(), reason="no PostgreSQL on 127.0.0.1:5432")
def test_a_missing_postgresql_database_gives_one_line(tmp_path):
    url = "postgres://postgres@127.0.0.1:5432/mitra_no_such_database_q7"
    result = run_mitra("migrate", env=mitra_env(tmp_path, url))
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line.startswith("mitra: database error:")
    assert "mitra_no_such_database_q7" in line and "does not exist" in line
    assert "check DATABASE_URL" in line


@pytest.mark.slow
def test_an_unreachable_database_server_gives_one_line(tmp_path):
    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run_mitra("migrate", env=mitra_env(tmp_path, f"postgres://u@127.0.0.1:{port}/x"))
    assert result.returncode == 1
    assert "check DATABASE_URL" in one_line(result.stderr)


@pytest.mark.slow
def test_a_sqlite_path_that_cannot_be_created_gives_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    url = f"sqlite:///{blocker}/sub/mitra.sqlite3"
    result = run_mitra("migrate", env=mitra_env(tmp_path, url))
    assert result.returncode != 0
    line = one_line(result.stderr)
    assert "DATABASE_URL" in line and "cannot create the folder" in line


@pytest.mark.slow
def test_a_database_that_is_not_migrated_says_so(tmp_path):
    result = run_mitra("demo", env=mitra_env(tmp_path))
    assert result.returncode == 1
    assert "mitra migrate" in one_line(result.stderr)


@pytest.mark.slow
def test_a_malformed_database_url_gives_one_line(tmp_path):
    result = run_mitra("check", env=mitra_env(tmp_path, "nosuchscheme://x"))
    assert result.returncode == 2
    assert one_line(result.stderr).startswith("mitra: configuration error: DATABASE_URL")


@pytest.mark.slow
def test_an_unsupported_database_names_the_allowed_ones(tmp_path):
    result = run_mitra("migrate", env=mitra_env(tmp_path, "mysql://root@127.0.0.1/test"))
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert "DATABASE_URL: mysql is not supported" in line
    assert "postgres://" in line and "sqlite:///" in line


def test_createuser_makes_a_clinician_on_a_team_who_sets_their_own_password(transactional_db):
    result = call_mitra("createuser", "drnew", "--role", "clinician", "--team", "Team North",
                        "--email", "drnew@example.org", "--print-link")
    assert result.returncode == 0, result.stderr
    assert "created clinician drnew in care team Team North" in result.stdout
    link = re.search(r"Invitation link \(valid once, for 7 days; give it to drnew only\): "
                     r"(\S*/accounts/invitation/[\w-]+/)", result.stdout)
    assert link, result.stdout
    assert "then set up their authenticator app (TOTP)" in result.stdout
    m = Membership.objects.get(user__username="drnew")
    # Nobody but the clinician will know the password: there is none until they set it.
    assert (m.team.name, m.access, m.user.role, m.user.has_usable_password(),
            m.user.invitations.count()) == ("Team North", "write", "clinician", False, 1)
    assert mail.outbox == []  # printed, not mailed
    # Patients join the same team; a scripted set-up may still give a patient a password.
    result = call_mitra("createuser", "newpat", "--role", "patient", "--team", "Team North",
                        "--display-name", "New Patient", "--password", STRONG)
    assert result.returncode == 0, result.stderr
    assert "Invitation" not in result.stdout
    assert User.objects.get(username="newpat").check_password(STRONG)


def test_createuser_mails_the_invitation_to_the_address_given(transactional_db):
    result = call_mitra("createuser", "drmail", "--role", "admin", "--email",
                        "drmail@example.org")
    assert result.returncode == 0, result.stderr
    assert "Invitation sent to drmail@example.org" in result.stdout
    assert "/accounts/invitation/" not in result.stdout  # the operator does not see the link
    assert [m.to for m in mail.outbox] == [["drmail@example.org"]]
    assert re.search(r"/accounts/invitation/[\w-]+/", mail.outbox[0].body)


@pytest.mark.parametrize("role", ["clinician", "admin", "researcher"])
def test_createuser_refuses_a_password_for_staff(transactional_db, monkeypatch, role):
    result = call_mitra("createuser", f"staff-{role}", "--role", role, "--password", STRONG)
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert "--password" in line and "patient only" in line and "invitation" in line
    monkeypatch.setenv("MITRA_PASSWORD", STRONG)
    from_env = call_mitra("createuser", f"staff-{role}", "--role", role)
    assert from_env.returncode == 2 and "MITRA_PASSWORD" in one_line(from_env.stderr)
    assert not User.objects.filter(username=f"staff-{role}").exists()


@pytest.mark.parametrize("password, reason", [
    ("short1", "too short"),
    ("password1234", "too common"),
    ("739182736451928", "entirely numeric"),
])
def test_createuser_rejects_weak_passwords(transactional_db, password, reason):
    result = call_mitra("createuser", "weakling", "--role", "patient", "--team", "T",
                        "--password", password)
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert "--password" in line and reason in line
    # Nothing half written.
    assert not User.objects.filter(username="weakling").exists()
    assert not CareTeam.objects.filter(name="T").exists()


def test_createuser_refuses_a_taken_name_and_a_team_for_a_researcher(transactional_db):
    assert call_mitra("createuser", "res1", "--role", "researcher").returncode == 0
    taken = call_mitra("createuser", "RES1", "--role", "researcher")
    assert taken.returncode == 2 and "already taken" in one_line(taken.stderr)
    team = call_mitra("createuser", "res2", "--role", "researcher", "--team", "X")
    assert team.returncode == 2 and "--team" in one_line(team.stderr)


def test_totp_refuses_a_real_account(transactional_db):
    made = call_mitra("createuser", "realdoc", "--role", "clinician")
    assert made.returncode == 0, made.stderr
    result = call_mitra("totp", "realdoc")
    assert result.returncode == 2
    assert "not a demo account" in one_line(result.stderr)


def test_audit_verify_checks_the_trail(transactional_db):
    call_mitra("createuser", "audited", "--role", "researcher")
    result = call_mitra("audit", "verify")
    assert result.returncode == 0, result.stderr
    assert re.match(r"audit trail intact: \d+ events", result.stdout)


@pytest.mark.slow
def test_demo_shows_a_progress_bar_and_the_logins(transactional_db):
    result = call_mitra("demo", "--patients", "8", "--days", "20")
    assert result.returncode == 0, result.stderr
    assert "demo cohort" in result.stderr and "step" in result.stderr  # tqdm's bar
    assert "Created 8 synthetic patients over 20 days" in result.stdout
    assert "password for all: mitra-demo-2026" in result.stdout
    again = call_mitra("demo", "--if-empty")
    assert again.returncode == 0
    assert "was not added" in again.stdout
